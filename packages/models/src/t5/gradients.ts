/**
 * Loss and gradients of a teacher-forced batch with respect to every parameter of a `T5Model`, by
 * Hugging Face parameter name. For tied models the gradient of `shared.weight` sums the embedding and
 * LM-head contributions (there is no `lm_head.weight` entry).
 */
import type { Scalar, Tensor, Tensor2D } from '@tensorflow/tfjs-core';
import { crossEntropyLoss, type LossOptions } from '../loss/crossEntropy';
import { namedGradients, type NamedGradientOptions } from '../loss/named-gradients';
import type { EncoderDecoderInputs } from './interface';
import type { ForwardOptions, T5Model } from './model';

/** A teacher-forced batch: the model inputs and `labels` `[batch, tgtLen]` int32 (-100 = ignored). */
export interface TrainingBatch extends EncoderDecoderInputs {
  labels: Tensor2D;
}

/**
 * `parameters`: only these (by HF name) get gradients; `variables`: differentiate with respect to
 * these instead (a LoRA adapter's tensors, attached with `T5Model.setLora`).
 */
export interface GradientOptions extends LossOptions, ForwardOptions, NamedGradientOptions {}

export interface LossAndGradients {
  /** Mean token loss (scalar). */
  loss: Scalar;
  /** d loss / d parameter, by HF name, each shaped like its parameter. */
  grads: Map<string, Tensor>;
}

/**
 * Runs the forward pass, the loss and the backward pass. The caller disposes `loss` and every gradient.
 *
 * @example
 * ```ts
 * const { loss, grads } = computeGradients(model, { inputIds, attentionMask, decoderInputIds, labels });
 * ```
 */
export function computeGradients(
  model: T5Model,
  batch: TrainingBatch,
  options: GradientOptions = {},
): LossAndGradients {
  const [b, t] = batch.decoderInputIds.shape;
  if (batch.labels.shape[0] !== b || batch.labels.shape[1] !== t) {
    throw new Error(
      `computeGradients: labels shape [${batch.labels.shape.join(', ')}] differs from decoderInputIds [${b}, ${t}]`,
    );
  }
  return namedGradients(
    () => crossEntropyLoss(model.forwardLogits2d(batch, options), batch.labels, options),
    model.parameters(),
    options,
    'computeGradients',
  );
}
