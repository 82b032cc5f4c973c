/**
 * One training step of ours: forward + backward through `computeGradients` (loss over the target
 * tokens, gradients of every parameter), no optimizer update, as the PyTorch peer does.
 */
import * as tf from '@tensorflow/tfjs-core';
import { computeGradients, type TrainingBatch } from '../../src/t5/gradients';
import type { T5Model } from '../../src/t5/model';

/** Returns the loss; the gradients are computed (wasm runs kernels synchronously) and dropped. */
export async function trainStep(model: T5Model, batch: TrainingBatch): Promise<number> {
  const { loss, grads } = computeGradients(model, batch);
  const value = (await loss.data())[0]!;
  tf.dispose([loss, ...grads.values()]);
  return value;
}
