/**
 * Global-norm gradient clipping as torch's `clip_grad_norm_`: `total = ‖(‖g_i‖₂)_i‖₂`,
 * `coef = min(1, maxNorm / (total + 1e-6))`, `g_i *= coef`. The optimizers apply the coefficient
 * inside their per-parameter update (`gradScale`), so no clipped copy of the gradients is kept.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor } from '@tensorflow/tfjs-core';
import { blockSum } from './reduce';

/**
 * `sqrt(Σ_i ‖g_i‖²)` over every gradient, as a float32 scalar (the caller disposes it). Each square
 * lives only in its own tidy, so no second gradient-sized copy is ever alive.
 */
export function globalNorm(grads: Iterable<Tensor>): Scalar {
  const squares = [...grads].map((g) => tf.tidy(() => blockSum(tf.square(g))));
  try {
    return tf.tidy(() =>
      squares.length === 0
        ? tf.scalar(0)
        : // A left fold, not tf.addN: WebGPU's AddN binds one storage buffer per input (at most 8).
          (tf.sqrt(squares.reduce((a, b) => tf.add(a, b))) as Scalar),
    );
  } finally {
    tf.dispose(squares);
  }
}

/** torch's clip coefficient for a total norm: `min(1, maxNorm / (total + 1e-6))`. */
export function clipCoefficient(totalNorm: number, maxNorm: number): number {
  if (!(maxNorm > 0)) throw new RangeError(`maxNorm must be > 0, got ${maxNorm}`);
  return Math.min(1, maxNorm / (totalNorm + 1e-6));
}
