/**
 * Padding mode: one example per row, right-padded with 0, in Hugging Face's layout (`shared/fixtures/training/
 * *\/batches.json`): labels −100 on padding, `decoder_input_ids` = `_shift_right(labels)` with start id 0.
 */
import type { IdBatch } from '../batch';
import type { Example } from './example';

/** Label of positions without a loss (PyTorch's `ignore_index`). */
export const IGNORE_INDEX = -100;

export interface PadOptions {
  /** Row length: `'longest'` in the batch (default; least padding) or the fixed feature lengths. */
  padTo?: 'longest' | 'max';
  /** Round `'longest'` lengths up to a multiple of this (fewer distinct shapes to compile). Default 1. */
  multipleOf?: number;
}

function roundUp(n: number, multiple: number, cap: number): number {
  return Math.min(cap, Math.ceil(n / multiple) * multiple);
}

/** HF `_shift_right`: `[0, labels[0..L-2]]` with −100 replaced by the pad id 0. */
export function shiftRight(labels: readonly number[]): number[] {
  const out = new Array<number>(labels.length);
  if (labels.length > 0) out[0] = 0;
  for (let i = 1; i < labels.length; i++) {
    const id = labels[i - 1]!;
    out[i] = id === IGNORE_INDEX ? 0 : id;
  }
  return out;
}

/** One padded batch of (already trimmed) examples. `maxLengths` caps the rows (the feature lengths). */
export function padBatch(
  examples: readonly Example[],
  maxLengths: { inputLength: number; targetLength: number },
  options: PadOptions = {},
): IdBatch {
  if (examples.length === 0) throw new RangeError('padBatch needs at least one example');
  const multiple = options.multipleOf ?? 1;
  if (!Number.isInteger(multiple) || multiple < 1)
    throw new RangeError(`multipleOf must be a positive integer, got ${multiple}`);
  let inputLength = maxLengths.inputLength;
  let targetLength = maxLengths.targetLength;
  if ((options.padTo ?? 'longest') === 'longest') {
    inputLength = roundUp(Math.max(...examples.map((e) => e.inputs.length)), multiple, inputLength);
    targetLength = roundUp(Math.max(...examples.map((e) => e.targets.length)), multiple, targetLength);
  }
  const batch: IdBatch = { input_ids: [], attention_mask: [], decoder_input_ids: [], labels: [] };
  for (const example of examples) {
    if (example.inputs.length > inputLength || example.targets.length > targetLength)
      throw new RangeError('padBatch: example longer than the feature lengths (trim it first)');
    const ids = new Array<number>(inputLength).fill(0);
    const mask = new Array<number>(inputLength).fill(0);
    example.inputs.forEach((id, i) => {
      ids[i] = id;
      mask[i] = 1;
    });
    const labels = new Array<number>(targetLength).fill(IGNORE_INDEX);
    example.targets.forEach((id, i) => (labels[i] = id));
    batch.input_ids.push(ids);
    batch.attention_mask.push(mask);
    batch.labels.push(labels);
    batch.decoder_input_ids.push(shiftRight(labels));
  }
  return batch;
}
