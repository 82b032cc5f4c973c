/**
 * The models the trainer trains: a T5 (encoder-decoder) or a decoder-only model (Llama, Qwen3).
 * Both expose parameters and adaptable dense layers by Hugging Face name; this module picks the
 * loss and gradients of each, so the trainer, the loop, LoRA and checkpoints are written once.
 */
import {
  computeCausalGradients,
  computeGradients,
  isCausalLM,
  shiftLabels,
  tokenCrossEntropy,
  type CausalLMModel,
  type CausalTrainingBatch,
  type GradientOptions,
  type LossAndGradients,
  type T5Model,
  type TrainingBatch,
} from '@flan-ts/models';
import type { Tensor2D } from '@tensorflow/tfjs-core';
import type { TensorBatch } from './trainer-batch';

export type TrainableModel = T5Model | CausalLMModel;

/** Whether the model is decoder-only (its batches are {@link CausalIdBatch}es). */
export function isDecoderOnly(model: TrainableModel): model is CausalLMModel {
  return isCausalLM(model);
}

function checkLayout(model: TrainableModel, batch: TensorBatch): void {
  const causalBatch = !('decoderInputIds' in batch);
  if (causalBatch !== isDecoderOnly(model)) {
    throw new RangeError(
      isDecoderOnly(model)
        ? 'a decoder-only model takes decoder-only batches (input_ids, attention_mask, labels), not decoder_input_ids'
        : 'a T5 takes encoder-decoder batches with decoder_input_ids',
    );
  }
}

/**
 * Mean loss and gradients of one batch. Decoder-only models have no hidden dropout (Llama and Qwen3
 * configs set `attention_dropout` 0): there `training` and `seed` drive the LoRA input dropout alone.
 */
export function lossAndGradients(
  model: TrainableModel,
  batch: TensorBatch,
  options: GradientOptions,
): LossAndGradients {
  checkLayout(model, batch);
  if (!isDecoderOnly(model)) return computeGradients(model, batch as TrainingBatch, options);
  const { labelSmoothing, zLoss, variables, parameters, recompute, training, seed } = options;
  return computeCausalGradients(model, batch as CausalTrainingBatch, {
    ...(recompute !== undefined ? { recompute } : {}),
    ...(training !== undefined ? { training } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(labelSmoothing !== undefined ? { labelSmoothing } : {}),
    ...(zLoss !== undefined ? { zLoss } : {}),
    ...(variables !== undefined ? { variables } : {}),
    ...(parameters !== undefined ? { parameters } : {}),
  });
}

/** Per-position losses `[batch, len]` in evaluation mode, and the labels they are scored against. */
export function evaluationLosses(
  model: TrainableModel,
  batch: TensorBatch,
): { losses: Tensor2D; labels: Tensor2D } {
  checkLayout(model, batch);
  if (!isDecoderOnly(model)) {
    const b = batch as TrainingBatch;
    return { losses: tokenCrossEntropy(model.forward(b), b.labels) as Tensor2D, labels: b.labels };
  }
  const labels = shiftLabels(batch.labels);
  return {
    losses: tokenCrossEntropy(model.forward(batch as CausalTrainingBatch), labels) as Tensor2D,
    labels,
  };
}
