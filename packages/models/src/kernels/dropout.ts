/**
 * Dropout with masks drawn from a seed, so that a gradient that recomputes its forward pass draws the
 * same mask again instead of keeping it in memory. `rate` 0 (evaluation, or a config with
 * dropout_rate 0) is the identity and allocates nothing.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { customOp } from './customOp';

/** Where and how a module drops activations; `undefined` means no dropout. */
export interface DropoutSpec {
  rate: number;
  /** Seed of this module's first mask; a module with several masks uses seed, seed + 1, ... */
  seed: number;
}

/**
 * The dropout specs of one model's passes: `undefined` outside training; in training always a spec,
 * even at rate 0 (LoRA's input dropout seeds from it), seeded by the caller or else afresh per pass.
 */
export class PassDropout {
  constructor(private seed: number) {}

  of(options: { training?: boolean; seed?: number }, rate: number): DropoutSpec | undefined {
    if (options.training !== true) return undefined;
    const seed = options.seed ?? (this.seed = (this.seed * 1103515245 + 12345) % 2 ** 31);
    return { rate, seed };
  }
}

/**
 * The dropout of one site of a network (`decoder.3.cross-attention`) in a pass seeded with
 * `spec.seed`: its own seed, a hash of the two, so no two sites share masks whatever the depth.
 */
export function dropoutAt(spec: DropoutSpec | undefined, site: string): DropoutSpec | undefined {
  if (spec === undefined) return undefined;
  // FNV-1a over the key: cheap, deterministic, and well spread for short strings.
  let hash = 0x811c9dc5;
  for (const ch of `${spec.seed}/${site}`) hash = Math.imul(hash ^ ch.charCodeAt(0), 0x01000193);
  return { rate: spec.rate, seed: hash >>> 1 };
}

/** The scaled keep-mask `1[u ≥ rate] / (1 − rate)` of the given shape. */
export function dropoutMask(shape: number[], rate: number, seed: number): Tensor {
  return tf.tidy(() =>
    tf.mul(
      tf.cast(tf.greaterEqual(tf.randomUniform(shape, 0, 1, 'float32', seed), tf.scalar(rate)), 'float32'),
      tf.scalar(1 / (1 - rate)),
    ),
  );
}

/** `x` with the mask applied (plain op, for use inside custom gradients). */
export function applyDropout<T extends Tensor>(x: T, spec: DropoutSpec | undefined, offset = 0): T {
  if (spec === undefined || spec.rate === 0) return x;
  return tf.tidy(() => tf.mul(x, dropoutMask(x.shape, spec.rate, spec.seed + offset))) as T;
}

/** Dropout as a differentiable op. */
export function dropoutOp<T extends Tensor>(x: T, spec: DropoutSpec | undefined): T {
  if (spec === undefined || spec.rate === 0) return x;
  const op = customOp(([xIn]) => ({
    value: applyDropout(xIn!, spec),
    gradFunc: (dy) => applyDropout(dy, spec),
  }));
  return op(x) as T;
}
