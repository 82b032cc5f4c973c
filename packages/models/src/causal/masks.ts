/**
 * Additive attention masks of a decoder-only model: 0 where a query may read a key, `MASKED_SCORE`
 * where it may not. A padded batch masks later keys and padded keys (HF's causal mask with the
 * attention mask); packed rows (HF `DataCollatorWithFlattening`) also keep every query inside its
 * own example.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';
import { MASKED_SCORE } from '../kernels/attention';

/**
 * `[batch, 1, queryLen, keyLen]` for queries at positions `past … past+queryLen−1` of the key
 * sequence: key j is visible to query i when `j ≤ past + i` and `attentionMask[j] = 1`.
 * `attentionMask` is `[batch, keyLen]` (past and new positions).
 */
export function causalPaddingMask(attentionMask: Tensor2D, queryLen: number, past: number): Tensor4D {
  const [batch, keyLen] = attentionMask.shape;
  const causal = new Float32Array(queryLen * keyLen);
  for (let i = 0; i < queryLen; i++) {
    for (let j = past + i + 1; j < keyLen; j++) causal[i * keyLen + j] = 1;
  }
  return tf.tidy(() => {
    const padded = tf.sub(tf.scalar(1), tf.reshape(tf.cast(attentionMask, 'float32'), [batch, 1, 1, keyLen]));
    // max(causal, padded) as add + clip: wasm's broadcasting Maximum is ~20x slower than Add.
    const hidden = tf.clipByValue(tf.add(tf.tensor4d(causal, [1, 1, queryLen, keyLen]), padded), 0, 1);
    return tf.mul(hidden, tf.scalar(MASKED_SCORE));
  }) as Tensor4D;
}

/**
 * `[batch, 1, len, len]` for packed rows: query i reads key j when `j ≤ i`, both belong to the same
 * segment (1, 2, … per example) and the key's segment is not 0 (padding).
 */
export function packedCausalMask(segmentIds: Tensor2D): Tensor4D {
  const [batch, len] = segmentIds.shape;
  const causal = new Float32Array(len * len);
  for (let i = 0; i < len; i++) for (let j = i + 1; j < len; j++) causal[i * len + j] = 1;
  return tf.tidy(() => {
    const seg = tf.cast(segmentIds, 'int32');
    const q = tf.reshape(seg, [batch, 1, len, 1]);
    const k = tf.reshape(seg, [batch, 1, 1, len]);
    const visible = tf.logicalAnd(tf.equal(q, k), tf.notEqual(k, tf.scalar(0, 'int32')));
    const hidden = tf.clipByValue(
      tf.add(tf.sub(tf.scalar(1), tf.cast(visible, 'float32')), tf.tensor4d(causal, [1, 1, len, len])),
      0,
      1,
    );
    return tf.mul(hidden, tf.scalar(MASKED_SCORE));
  }) as Tensor4D;
}

/**
 * Position ids of left-padded rows as Hugging Face's `generate` builds them: `cumsum(mask) − 1`, and
 * 1 at padded positions.
 */
export function positionsFromMask(mask: readonly (readonly number[])[]): number[][] {
  return mask.map((row) => {
    let seen = 0;
    return row.map((m) => (m === 0 ? 1 : seen++));
  });
}

/**
 * Segment and position ids of one packed row (HF `DataCollatorWithFlattening`): example k gets
 * segment k + 1 and positions restarting at 0; the rest of the row, up to `length`, is padding
 * (segment 0, position 0).
 */
export function packedRowIds(
  exampleLengths: readonly number[],
  length: number,
): { segmentIds: number[]; positionIds: number[] } {
  const segmentIds = new Array<number>(length).fill(0);
  const positionIds = new Array<number>(length).fill(0);
  let at = 0;
  exampleLengths.forEach((n, k) => {
    if (at + n > length)
      throw new RangeError(`packed examples need ${at + n} positions; the row has ${length}`);
    for (let i = 0; i < n; i++) {
      segmentIds[at + i] = k + 1;
      positionIds[at + i] = i;
    }
    at += n;
  });
  return { segmentIds, positionIds };
}
