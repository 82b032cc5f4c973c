/** The held-out loss: token-weighted mean cross-entropy over batches, without gradients or dropout. */
import * as tf from '@tensorflow/tfjs-core';
import type { AnyIdBatch } from './batch';
import { evaluationLosses, type TrainableModel } from './model';
import { batchTensors } from './trainer-batch';

export interface HeldOutLoss {
  /** Mean loss per target token over every batch. */
  loss: number;
  /** Target tokens counted. */
  tokens: number;
}

export async function heldOutLoss(
  model: TrainableModel,
  batches: Iterable<AnyIdBatch>,
): Promise<HeldOutLoss> {
  let sum = 0;
  let tokens = 0;
  for (const batch of batches) {
    const { tensors: inputs, release } = batchTensors(batch);
    const [summed, count] = tf.tidy(() => {
      const { losses: perToken, labels } = evaluationLosses(model, inputs);
      const weight = tf.cast(tf.notEqual(labels, tf.scalar(-100, 'int32')), 'float32');
      return [tf.sum(tf.mul(perToken, weight)), tf.sum(weight)];
    });
    sum += (await summed.data())[0]!;
    tokens += (await count.data())[0]!;
    tf.dispose([summed, count]);
    release();
  }
  return { loss: tokens === 0 ? 0 : sum / tokens, tokens };
}
