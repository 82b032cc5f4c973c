/** The training references of `shared/fixtures/training/flan-t5-tiny` (README section 7) for the trainer tests. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crossEntropyLoss, type T5Model, type TrainingBatch } from '@flan-ts/models';
import { loadT5 } from '@flan-ts/models/node';
import { sharedFile } from '@flan-ts/test-support';
import * as tf from '@tensorflow/tfjs-core';
import type { IdBatch } from '../src/batch';
import { batchTensors } from '../src/trainer-batch';

export const TRAINING_DIR = sharedFile('fixtures/training/flan-t5-tiny');
export const MODEL_DIR = sharedFile('fixtures/models/flan-t5-tiny');

export interface RecordedTensor {
  shape: number[];
  data: number[] | number[][];
}

export interface Trajectory {
  optimizer: string;
  hyperparameters: Record<string, unknown>;
  batch_schedule: number[];
  steps: {
    step: number;
    batch: number;
    loss: number;
    global_grad_norm: number;
    decay_rate?: number;
    beta2t?: number;
  }[];
  loss_after_last_step_per_batch: number[];
  param_norms_after_last_step: Record<string, number>;
  params_after_last_step: Record<string, RecordedTensor>;
  optimizer_state_after_last_step?: Record<string, Record<string, unknown>>;
  factored_parameters?: string[];
}

export function readJson<T>(name: string): T {
  return JSON.parse(readFileSync(join(TRAINING_DIR!, name), 'utf8')) as T;
}

export function batches(): IdBatch[] {
  return readJson<{ batches: IdBatch[] }>('batches.json').batches;
}

export function loadTiny(): Promise<T5Model> {
  return loadT5(MODEL_DIR!);
}

export function norm(data: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i]! * data[i]!;
  return Math.sqrt(s);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** max |a − b| / max(|b|, floor) elementwise. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-30): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++)
    m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), floor));
  return m;
}

/** The evaluation-mode loss of the model on a batch (no gradients). */
export async function evalLoss(model: T5Model, batch: IdBatch): Promise<number> {
  const { tensors, release } = batchTensors(batch);
  try {
    const loss = tf.tidy(() => crossEntropyLoss(model.forward(tensors as TrainingBatch), tensors.labels));
    const v = (await loss.data())[0]!;
    loss.dispose();
    return v;
  } finally {
    release();
  }
}
