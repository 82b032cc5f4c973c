/**
 * The causal-LM loss as Hugging Face's `ForCausalLMLoss` computes it (labels padded with −100 at the
 * end and shifted left by one, so the logits at position t are scored against `labels[t+1]`; the mean
 * over the targets that are not −100), and its gradients with respect to a `CausalLMModel`'s
 * parameters (or adapter variables) by Hugging Face name.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor2D } from '@tensorflow/tfjs-core';
import { crossEntropyLoss, IGNORE_INDEX, type LossOptions } from '../loss/crossEntropy';
import { namedGradients, type NamedGradientOptions } from '../loss/named-gradients';
import type { LossAndGradients } from '../t5/gradients';
import type { CausalLMInputs } from './interface';
import type { CausalForwardOptions, CausalLMModel } from './model';

/** A teacher-forced batch: the inputs and `labels` `[batch, len]` int32, unshifted (HF: `labels=input_ids`, −100 ignored). */
export interface CausalTrainingBatch extends CausalLMInputs {
  labels: Tensor2D;
}

/** `parameters`: only these (by HF name) get gradients; `variables`: these instead (a LoRA adapter's). */
export interface CausalGradientOptions extends LossOptions, CausalForwardOptions, NamedGradientOptions {}

/** `labels[:, 1:]` followed by a column of −100: the target of every position. */
export function shiftLabels(labels: Tensor2D): Tensor2D {
  const [batch, len] = labels.shape;
  return tf.tidy(() =>
    tf.concat([tf.slice(labels, [0, 1], [batch, len - 1]), tf.fill([batch, 1], IGNORE_INDEX, 'int32')], 1),
  ) as Tensor2D;
}

/** The mean loss of a batch, differentiable with respect to the model's parameters. */
export function causalLmLoss(
  model: CausalLMModel,
  batch: CausalTrainingBatch,
  options: LossOptions & CausalForwardOptions = {},
): Scalar {
  const [b, t] = batch.inputIds.shape;
  if (batch.labels.shape[0] !== b || batch.labels.shape[1] !== t) {
    throw new Error(
      `causal loss: labels shape [${batch.labels.shape.join(', ')}] differs from inputIds [${b}, ${t}]`,
    );
  }
  return tf.tidy(() =>
    crossEntropyLoss(model.forwardLogits2d(batch, options), shiftLabels(batch.labels), options),
  );
}

/**
 * Forward, loss and backward. The caller disposes `loss` and every gradient. For a tied model the
 * gradient of `model.embed_tokens.weight` holds both the embedding and the LM-head contributions.
 */
export function computeCausalGradients(
  model: CausalLMModel,
  batch: CausalTrainingBatch,
  options: CausalGradientOptions = {},
): LossAndGradients {
  return namedGradients(
    () => causalLmLoss(model, batch, options),
    model.parameters(),
    options,
    'computeCausalGradients',
  );
}
