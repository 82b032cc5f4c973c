/**
 * Global-norm gradient clipping as torch's `clip_grad_norm_`: `total = ‖(‖g_i‖₂)_i‖₂`,
 * `coef = min(1, maxNorm / (total + 1e-6))`, `g_i *= coef`. The optimizers apply the coefficient
 * inside their per-parameter update (`gradScale`), so no clipped copy of the gradients is kept.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor } from '@tensorflow/tfjs-core';
import { blockSum } from './reduce';

/** `sqrt(Σ_i ‖g_i‖²)` over every gradient, as a float32 scalar (the caller disposes it). */
export function globalNorm(grads: Iterable<Tensor>): Scalar {
  return tf.tidy(() => {
    const list = [...grads];
    if (list.length === 0) return tf.scalar(0);
    const squares = list.map((g) => blockSum(tf.square(g)));
    return tf.sqrt(squares.length === 1 ? squares[0]! : tf.addN(squares)) as Scalar;
  });
}

/** torch's clip coefficient for a total norm: `min(1, maxNorm / (total + 1e-6))`. */
export function clipCoefficient(totalNorm: number, maxNorm: number): number {
  if (!(maxNorm > 0)) throw new RangeError(`maxNorm must be > 0, got ${maxNorm}`);
  return Math.min(1, maxNorm / (totalNorm + 1e-6));
}
