/**
 * The batch forms `Trainer.step` takes (models' `TrainingBatch` / `CausalTrainingBatch` tensors, or
 * `IdBatch` / `CausalIdBatch` arrays) and what it needs from each: tensors for the forward pass and
 * the number of target tokens, which weighs micro-batches in gradient accumulation.
 */
import { IGNORE_INDEX, type CausalTrainingBatch, type TrainingBatch } from '@flan-ts/models';
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor2D } from '@tensorflow/tfjs-core';
import {
  isCausalIdBatch,
  targetTokenCount,
  type AnyIdBatch,
  type CausalIdBatch,
  type IdBatch,
} from './batch';

/** Tensors of either architecture's batch (caller-owned when given). */
export type TensorBatch = TrainingBatch | CausalTrainingBatch;

/** A batch as tensors (caller-owned) or as plain id arrays. */
export type StepBatch = TensorBatch | AnyIdBatch;

export function isIdBatch(batch: StepBatch): batch is AnyIdBatch {
  return Array.isArray((batch as IdBatch).input_ids);
}

/** Whether a batch is a decoder-only one (no decoder inputs), in either form. */
export function isCausalBatch(batch: StepBatch): boolean {
  return isIdBatch(batch) ? isCausalIdBatch(batch) : !('decoderInputIds' in batch);
}

function idsTensor(name: string, rows: number[][]): Tensor2D {
  const width = rows[0]?.length ?? 0;
  if (rows.length === 0 || rows.some((r) => r.length !== width))
    throw new RangeError(`batch.${name}: expected a non-empty rectangular [batch, length] array`);
  return tf.tensor2d(rows, [rows.length, width], 'int32');
}

function seq2seqTensors(batch: IdBatch, keep: (t: Tensor2D) => Tensor2D): TrainingBatch {
  const tensors: TrainingBatch = {
    inputIds: keep(idsTensor('input_ids', batch.input_ids)),
    attentionMask: keep(idsTensor('attention_mask', batch.attention_mask)),
    decoderInputIds: keep(idsTensor('decoder_input_ids', batch.decoder_input_ids)),
    labels: keep(idsTensor('labels', batch.labels)),
  };
  if ((batch.encoder_segment_ids === undefined) !== (batch.decoder_segment_ids === undefined))
    throw new RangeError('batch: give both encoder_segment_ids and decoder_segment_ids, or neither');
  if (batch.encoder_segment_ids !== undefined && batch.decoder_segment_ids !== undefined) {
    tensors.encoderSegmentIds = keep(idsTensor('encoder_segment_ids', batch.encoder_segment_ids));
    tensors.decoderSegmentIds = keep(idsTensor('decoder_segment_ids', batch.decoder_segment_ids));
  }
  return tensors;
}

function causalTensors(batch: CausalIdBatch, keep: (t: Tensor2D) => Tensor2D): CausalTrainingBatch {
  const tensors: CausalTrainingBatch = {
    inputIds: keep(idsTensor('input_ids', batch.input_ids)),
    attentionMask: keep(idsTensor('attention_mask', batch.attention_mask)),
    labels: keep(idsTensor('labels', batch.labels)),
  };
  if ((batch.segment_ids === undefined) !== (batch.position_ids === undefined))
    throw new RangeError('batch: give both segment_ids and position_ids, or neither');
  if (batch.segment_ids !== undefined && batch.position_ids !== undefined) {
    tensors.segmentIds = keep(idsTensor('segment_ids', batch.segment_ids));
    tensors.positionIds = keep(idsTensor('position_ids', batch.position_ids));
  }
  return tensors;
}

/** Tensors for a batch, and a function that frees what was made here (never the caller's tensors). */
export function batchTensors(batch: StepBatch): { tensors: TensorBatch; release: () => void } {
  if (!isIdBatch(batch)) return { tensors: batch, release: () => {} };
  const made: Tensor2D[] = [];
  const keep = (t: Tensor2D) => (made.push(t), t);
  try {
    const tensors = isCausalIdBatch(batch) ? causalTensors(batch, keep) : seq2seqTensors(batch, keep);
    return { tensors, release: () => tf.dispose(made) };
  } catch (e) {
    tf.dispose(made);
    throw e;
  }
}

/**
 * Number of positions that take a loss (labels ≠ −100; for decoder-only batches the shifted labels,
 * `labels[:, 1:]`). Reads tensors back (one small sync).
 */
export async function countLossTokens(batch: StepBatch): Promise<number> {
  if (isIdBatch(batch)) return targetTokenCount(batch);
  const causal = isCausalBatch(batch);
  const count = tf.tidy(() => {
    const [rows, len] = batch.labels.shape;
    const scored = causal ? tf.slice(batch.labels, [0, 1], [rows, len - 1]) : batch.labels;
    return tf.sum(tf.cast(tf.notEqual(scored, IGNORE_INDEX), 'int32'));
  });
  try {
    return (await count.data())[0]!;
  } finally {
    count.dispose();
  }
}
