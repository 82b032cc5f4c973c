/**
 * Rotary position embeddings in Hugging Face's "half split" layout: feature j turns with feature
 * j + D/2 (`rotate_half(x) = cat(−x[D/2:], x[:D/2])`), as composite tfjs ops, with the transpose the
 * gradient needs. Angles are `position · inv_freq` in float32, as torch computes them.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor1D, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';

/** `cos` and `sin` of `emb = cat(angles, angles)`, `[tokens, 1, D]` so they broadcast over heads. */
export interface RotaryTables {
  cos: Tensor3D;
  sin: Tensor3D;
}

/** The tables for int32 `positions` `[tokens]` and `invFreq` `[D/2]`. */
export function rotaryTables(positions: Tensor1D, invFreq: Tensor1D): RotaryTables {
  return tf.tidy(() => {
    const n = positions.shape[0];
    const half = invFreq.shape[0];
    const angles = tf.mul(tf.reshape(tf.cast(positions, 'float32'), [n, 1]), tf.reshape(invFreq, [1, half]));
    const emb = tf.reshape(tf.concat([angles, angles], 1), [n, 1, 2 * half]);
    return { cos: tf.cos(emb) as Tensor3D, sin: tf.sin(emb) as Tensor3D };
  }) as unknown as RotaryTables;
}

/** `cat(−x[..., D/2:], x[..., :D/2])` over the last axis of a rank-3 tensor. */
export function rotateHalf(x: Tensor3D): Tensor3D {
  const [n, h, d] = x.shape;
  return tf.tidy(() =>
    tf.concat([tf.neg(tf.slice(x, [0, 0, d / 2], [n, h, d / 2])), tf.slice(x, [0, 0, 0], [n, h, d / 2])], 2),
  ) as Tensor3D;
}

/** `x·cos + rotate_half(x)·sin` for `x` `[tokens, heads, D]`. */
export function applyRotary(x: Tensor3D, t: RotaryTables): Tensor3D {
  return tf.tidy(() => tf.add(tf.mul(x, t.cos), tf.mul(rotateHalf(x), t.sin))) as Tensor3D;
}

/**
 * The gradient of {@link applyRotary}: `dx = dy·cos + rotate_halfᵀ(dy·sin)`, where
 * `rotate_halfᵀ(g) = cat(g[D/2:], −g[:D/2]) = −rotate_half(g)`.
 */
export function applyRotaryGrad(dy: Tensor3D, t: RotaryTables): Tensor3D {
  return tf.tidy(() => tf.sub(tf.mul(dy, t.cos), rotateHalf(tf.mul(dy, t.sin) as Tensor3D))) as Tensor3D;
}

/** Positions `past … past+len−1` for every row, int32 `[batch, len]`. */
export function defaultPositions(batch: number, len: number, past: number): Tensor2D {
  const values = new Int32Array(batch * len);
  for (let b = 0; b < batch; b++) for (let i = 0; i < len; i++) values[b * len + i] = past + i;
  return tf.tensor2d(values, [batch, len], 'int32');
}
