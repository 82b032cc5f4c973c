/**
 * Reductions over whole parameters that stay accurate in float32. The wasm backend's `Sum` adds in a
 * float32 running total, so over a 2M-element embedding the RMS came out ~1e-4 relative off, enough to
 * drift a t5x trajectory (whose step is scaled by the parameter RMS) by 1e-4 in loss over 10 steps.
 * Summing in blocks of 256 (a pairwise-style tree) keeps every partial sum small.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor } from '@tensorflow/tfjs-core';

const BLOCK = 256;

/** `Σ x` over every element, by a tree of 256-element sums (call inside a tidy). */
export function blockSum(x: Tensor): Scalar {
  let t: Tensor = tf.reshape(x, [-1]);
  while (t.size > BLOCK) {
    const rows = Math.ceil(t.size / BLOCK);
    if (rows * BLOCK !== t.size) t = tf.pad(t, [[0, rows * BLOCK - t.size]]);
    t = tf.sum(tf.reshape(t, [rows, BLOCK]), 1);
  }
  return tf.sum(t);
}

/** `sqrt(mean(x²))` over every element (call inside a tidy). */
export function rms(x: Tensor): Scalar {
  return tf.sqrt(tf.div(blockSum(tf.square(x)), x.size)) as Scalar;
}
