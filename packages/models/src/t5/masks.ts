/**
 * Additive attention masks: 0 where a query may attend to a key, `MASKED_SCORE` where it may not.
 * Padded batches mask padded keys; packed rows (seqio `pack=True`) also keep every query inside its
 * own segment, so several examples share a row without seeing one another.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';
import { MASKED_SCORE } from '../kernels/attention';

/** `0` for real keys and a large negative score for padded ones: `[batch, 1, 1, keyLen]`. */
export function keyPaddingMask(attentionMask: Tensor2D): Tensor4D {
  const [batch, len] = attentionMask.shape;
  return tf.tidy(() =>
    tf.reshape(tf.mul(tf.sub(tf.scalar(1), tf.cast(attentionMask, 'float32')), tf.scalar(MASKED_SCORE)), [
      batch,
      1,
      1,
      len,
    ]),
  ) as Tensor4D;
}

/** Masks keys after each query (queries at `offset …`): `[1, 1, queryLen, keyLen]`. */
export function causalMask(queryLen: number, keyLen: number, offset: number): Tensor4D {
  const values = new Float32Array(queryLen * keyLen);
  for (let i = 0; i < queryLen; i++) {
    for (let j = i + offset + 1; j < keyLen; j++) values[i * keyLen + j] = MASKED_SCORE;
  }
  return tf.tensor4d(values, [1, 1, queryLen, keyLen]);
}

/**
 * `[batch, 1, queryLen, keyLen]`: a query of segment s sees only keys of segment s, and no key of
 * segment 0 (padding). Query rows of padding see nothing; their outputs carry no loss. With `causal`,
 * keys after the query are masked as well (decoder self-attention).
 */
export function segmentMask(querySegments: Tensor2D, keySegments: Tensor2D, causal = false): Tensor4D {
  const [batch, queryLen] = querySegments.shape;
  const keyLen = keySegments.shape[1];
  return tf.tidy(() => {
    const q = tf.reshape(tf.cast(querySegments, 'int32'), [batch, 1, queryLen, 1]);
    const k = tf.reshape(tf.cast(keySegments, 'int32'), [batch, 1, 1, keyLen]);
    const visible = tf.logicalAnd(tf.equal(q, k), tf.notEqual(k, tf.scalar(0, 'int32')));
    let mask = tf.mul(tf.sub(tf.scalar(1), tf.cast(visible, 'float32')), tf.scalar(MASKED_SCORE));
    if (causal) mask = tf.add(mask, causalMask(queryLen, keyLen, 0));
    return mask;
  }) as Tensor4D;
}
