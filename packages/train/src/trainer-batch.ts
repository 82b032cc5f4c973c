/**
 * The two batch forms `Trainer.step` takes (models' `TrainingBatch` tensors, or `IdBatch` arrays) and
 * what it needs from each: tensors for the forward pass and the number of target tokens, which weighs
 * micro-batches in gradient accumulation.
 */
import { IGNORE_INDEX, type TrainingBatch } from '@flan-ts/models';
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor2D } from '@tensorflow/tfjs-core';
import type { IdBatch } from './batch';

/** A batch as tensors (`TrainingBatch`, caller-owned) or as plain id arrays (`IdBatch`). */
export type StepBatch = TrainingBatch | IdBatch;

export function isIdBatch(batch: StepBatch): batch is IdBatch {
  return Array.isArray((batch as IdBatch).input_ids);
}

/** Tensors for a batch, and a function that frees what was made here (never the caller's tensors). */
export function batchTensors(batch: StepBatch): { tensors: TrainingBatch; release: () => void } {
  if (!isIdBatch(batch)) return { tensors: batch, release: () => {} };
  const ids = (name: string, rows: number[][]): Tensor2D => {
    const width = rows[0]?.length ?? 0;
    if (rows.length === 0 || rows.some((r) => r.length !== width))
      throw new RangeError(`batch.${name}: expected a non-empty rectangular [batch, length] array`);
    return tf.tensor2d(rows, [rows.length, width], 'int32');
  };
  const made: Tensor2D[] = [];
  const keep = (t: Tensor2D) => (made.push(t), t);
  try {
    const tensors: TrainingBatch = {
      inputIds: keep(ids('input_ids', batch.input_ids)),
      attentionMask: keep(ids('attention_mask', batch.attention_mask)),
      decoderInputIds: keep(ids('decoder_input_ids', batch.decoder_input_ids)),
      labels: keep(ids('labels', batch.labels)),
    };
    if ((batch.encoder_segment_ids === undefined) !== (batch.decoder_segment_ids === undefined))
      throw new RangeError('batch: give both encoder_segment_ids and decoder_segment_ids, or neither');
    if (batch.encoder_segment_ids !== undefined && batch.decoder_segment_ids !== undefined) {
      tensors.encoderSegmentIds = keep(ids('encoder_segment_ids', batch.encoder_segment_ids));
      tensors.decoderSegmentIds = keep(ids('decoder_segment_ids', batch.decoder_segment_ids));
    }
    return { tensors, release: () => tf.dispose(made) };
  } catch (e) {
    tf.dispose(made);
    throw e;
  }
}

/** Number of label positions that take a loss (labels ≠ -100). Reads tensors back (one small sync). */
export async function countLossTokens(batch: StepBatch): Promise<number> {
  if (isIdBatch(batch)) {
    let n = 0;
    for (const row of batch.labels) for (const id of row) if (id !== IGNORE_INDEX) n++;
    return n;
  }
  const count = tf.tidy(() => tf.sum(tf.cast(tf.notEqual(batch.labels, IGNORE_INDEX), 'int32')));
  try {
    return (await count.data())[0]!;
  } finally {
    count.dispose();
  }
}
