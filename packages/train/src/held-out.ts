/** The held-out loss: token-weighted mean cross-entropy over batches, without gradients or dropout. */
import * as tf from '@tensorflow/tfjs-core';
import { tokenCrossEntropy, type T5Model } from '@flan-ts/models';
import type { IdBatch } from './batch';
import { batchTensors } from './trainer-batch';

export interface HeldOutLoss {
  /** Mean loss per target token over every batch. */
  loss: number;
  /** Target tokens counted. */
  tokens: number;
}

export async function heldOutLoss(model: T5Model, batches: Iterable<IdBatch>): Promise<HeldOutLoss> {
  let sum = 0;
  let tokens = 0;
  for (const batch of batches) {
    const { tensors: inputs, release } = batchTensors(batch);
    const [summed, count] = tf.tidy(() => {
      const perToken = tokenCrossEntropy(model.forward(inputs), inputs.labels);
      const weight = tf.cast(tf.notEqual(inputs.labels, tf.scalar(-100, 'int32')), 'float32');
      return [tf.sum(tf.mul(perToken, weight)), tf.sum(weight)];
    });
    sum += (await summed.data())[0]!;
    tokens += (await count.data())[0]!;
    tf.dispose([summed, count]);
    release();
  }
  return { loss: tokens === 0 ? 0 : sum / tokens, tokens };
}
