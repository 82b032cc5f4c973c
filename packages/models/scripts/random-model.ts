/** The benchmark's flan-t5-small-shaped model with random weights, for the ad-hoc measurement scripts. */
import * as tf from '@tensorflow/tfjs-core';
import { FLAN_T5_SMALL, randomT5Tensors } from '../bench/model';
import type { T5Config } from '../src/t5/config';
import { computeGradients, type TrainingBatch } from '../src/t5/gradients';
import { T5Model } from '../src/t5/model';

export function randomModel(config: T5Config = FLAN_T5_SMALL, seed = 1): T5Model {
  return T5Model.fromTensors(config, new Map(randomT5Tensors(config, seed).map((t) => [t.name, t])));
}

/** Deterministic ids (no pad or eos) for `batch` examples of `srcLen` input and `tgtLen` target tokens. */
export function randomTrainingBatch(batch: number, srcLen = 128, tgtLen = 32): TrainingBatch {
  const ids = (l: number) =>
    tf.tensor2d(
      new Int32Array(batch * l).map((_, i) => 3 + ((i * 31) % 30000)),
      [batch, l],
      'int32',
    );
  const inputIds = ids(srcLen);
  return {
    inputIds,
    attentionMask: tf.onesLike(inputIds) as tf.Tensor2D,
    decoderInputIds: ids(tgtLen),
    labels: ids(tgtLen),
  };
}

/** One forward + backward step: the loss is read back, the gradients are computed and dropped. */
export function trainStep(model: T5Model, batch: TrainingBatch): void {
  const { loss, grads } = computeGradients(model, batch);
  loss.dataSync();
  tf.dispose([loss, ...grads.values()]);
}
