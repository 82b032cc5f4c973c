import * as tf from '@tensorflow/tfjs-core';
import type { Tensor2D } from '@tensorflow/tfjs-core';
import { GenerationError } from './errors';

/** Encoder inputs as tensors: ids [batch, srcLen] int32 and the padding mask (1 real, 0 pad). */
export interface EncoderInputs {
  inputIds: Tensor2D;
  attentionMask: Tensor2D;
}

/** Prompts as tensors, or as id lists (eos included, as the tokenizer returns them) that are right-padded for you. */
export type Prompts = EncoderInputs | readonly (readonly number[])[];

/** Right-pads id lists into int32 ids and mask tensors, checking every id against the vocabulary. */
export function padPrompts(
  prompts: readonly (readonly number[])[],
  padTokenId: number,
  vocabSize: number,
): EncoderInputs {
  if (prompts.length === 0) throw new GenerationError('no prompts given', 'inputIds');
  const width = Math.max(...prompts.map((p) => p.length));
  const ids = new Int32Array(prompts.length * width).fill(padTokenId);
  const mask = new Int32Array(prompts.length * width);
  prompts.forEach((prompt, row) => {
    if (prompt.length === 0) throw new GenerationError(`prompt ${row} is empty`, 'inputIds');
    prompt.forEach((id, col) => {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new GenerationError(
          `prompt ${row}, position ${col}: ${id} is not a token id in [0, ${vocabSize})`,
          'inputIds',
        );
      }
      ids[row * width + col] = id;
      mask[row * width + col] = 1;
    });
  });
  return {
    inputIds: tf.tensor2d(ids, [prompts.length, width], 'int32'),
    attentionMask: tf.tensor2d(mask, [prompts.length, width], 'int32'),
  };
}

/** Checks tensor prompts: rank 2, the same shape for ids and mask, at least one row. */
export function checkEncoderInputs(inputs: EncoderInputs): void {
  const { inputIds, attentionMask } = inputs;
  if (inputIds.rank !== 2 || inputIds.shape[0] === 0 || inputIds.shape[1] === 0) {
    throw new GenerationError(
      `expected a non-empty [batch, srcLen] tensor, got shape [${inputIds.shape.join(', ')}]`,
      'inputIds',
    );
  }
  if (attentionMask.shape[0] !== inputIds.shape[0] || attentionMask.shape[1] !== inputIds.shape[1]) {
    throw new GenerationError(
      `shape [${attentionMask.shape.join(', ')}] differs from inputIds [${inputIds.shape.join(', ')}]`,
      'attentionMask',
    );
  }
  if (inputIds.dtype !== 'int32')
    throw new GenerationError(`must be int32, got ${inputIds.dtype}`, 'inputIds');
}

/**
 * Prompts as unpadded id lists (what a decoder-only model left-pads itself): lists are checked
 * against the vocabulary; tensors are read and each row keeps its tokens where the mask is 1.
 */
export async function promptLists(prompts: Prompts, vocabSize: number): Promise<number[][]> {
  if (Array.isArray(prompts)) {
    const lists = prompts as readonly (readonly number[])[];
    if (lists.length === 0) throw new GenerationError('no prompts given', 'inputIds');
    lists.forEach((prompt, row) => {
      if (prompt.length === 0) throw new GenerationError(`prompt ${row} is empty`, 'inputIds');
      prompt.forEach((id, col) => {
        if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
          throw new GenerationError(
            `prompt ${row}, position ${col}: ${id} is not a token id in [0, ${vocabSize})`,
            'inputIds',
          );
        }
      });
    });
    return lists.map((p) => [...p]);
  }
  const inputs = prompts as EncoderInputs;
  checkEncoderInputs(inputs);
  const [ids, mask] = await Promise.all([inputs.inputIds.array(), inputs.attentionMask.array()]);
  return ids.map((row, r) => {
    const kept = row.filter((_, c) => mask[r]![c] !== 0);
    if (kept.length === 0) throw new GenerationError(`prompt ${r} has no unmasked token`, 'attentionMask');
    return kept;
  });
}
