/**
 * Loss and gradients of a teacher-forced batch with respect to every parameter of a `T5Model`, by
 * Hugging Face parameter name. For tied models the gradient of `shared.weight` sums the embedding and
 * LM-head contributions (there is no `lm_head.weight` entry).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor, Tensor2D, Variable } from '@tensorflow/tfjs-core';
import { crossEntropyLoss, type LossOptions } from '../loss/crossEntropy';
import type { EncoderDecoderInputs } from './interface';
import type { ForwardOptions, T5Model } from './model';

/** A teacher-forced batch: the model inputs and `labels` `[batch, tgtLen]` int32 (-100 = ignored). */
export interface TrainingBatch extends EncoderDecoderInputs {
  labels: Tensor2D;
}

export interface GradientOptions extends LossOptions, ForwardOptions {
  /** Only these parameters (by HF name) get gradients; default all. */
  parameters?: readonly string[];
  /**
   * Differentiate with respect to these variables instead of the model's parameters, by name (e.g. a
   * LoRA adapter's tensors, attached with `T5Model.setLora`). Overrides `parameters`.
   */
  variables?: ReadonlyMap<string, Variable>;
}

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
  const params = options.variables ?? model.parameters();
  const names = options.variables ? [...params.keys()] : (options.parameters ?? [...params.keys()]);
  const vars: Variable[] = names.map((name) => {
    const v = params.get(name);
    if (v === undefined)
      throw new Error(`computeGradients: the model has no parameter ${JSON.stringify(name)}`);
    return v;
  });
  const [b, t] = batch.decoderInputIds.shape;
  if (batch.labels.shape[0] !== b || batch.labels.shape[1] !== t) {
    throw new Error(
      `computeGradients: labels shape [${batch.labels.shape.join(', ')}] differs from decoderInputIds [${b}, ${t}]`,
    );
  }
  const { value, grads } = tf.variableGrads(
    () => crossEntropyLoss(model.forwardLogits2d(batch, options), batch.labels, options),
    vars,
  );
  const byName = new Map<string, Tensor>();
  const nameOf = new Map(vars.map((v, i) => [v.name, names[i]!]));
  // Frozen variables (trainable = false) come back as null: they have no gradient.
  for (const [varName, grad] of Object.entries(grads))
    if (grad !== null) byName.set(nameOf.get(varName)!, grad);
  return { loss: value, grads: byName };
}
