/**
 * A training batch as plain id arrays, in the layout of `shared/fixtures/training/*\/batches.json`
 * (Hugging Face names), optionally with seqio's packing features. This is what the data path
 * produces and what `Trainer.step` takes (besides tensors).
 */
export interface IdBatch {
  /** `[batch, inputLength]` encoder ids, right-padded with 0. */
  input_ids: number[][];
  /** `[batch, inputLength]`, 1 for real tokens, 0 for padding. */
  attention_mask: number[][];
  /** `[batch, targetLength]`: labels shifted right (decoder start 0); in packed rows 0 at each segment start. */
  decoder_input_ids: number[][];
  /** `[batch, targetLength]` target ids, -100 where no loss is taken (padding). */
  labels: number[][];
  /**
   * Packed rows only: `[batch, inputLength]` / `[batch, targetLength]` segment ids (1, 2, ... per example,
   * 0 on padding), as seqio's `encoder_segment_ids` / `decoder_segment_ids`. Attention never crosses
   * segments; decoder segment k attends to encoder segment k.
   */
  encoder_segment_ids?: number[][];
  decoder_segment_ids?: number[][];
  /** Packed rows only: positions restarting at 0 per segment (seqio `encoder_positions` / `decoder_positions`). */
  encoder_positions?: number[][];
  decoder_positions?: number[][];
}

/**
 * A decoder-only training batch as plain id arrays, Hugging Face's names: `labels` unshifted (HF's
 * causal-LM loss scores position t against `labels[t+1]`), −100 on the prompt and on padding, so
 * the loss falls on the response only (TRL's completion-only loss).
 */
export interface CausalIdBatch {
  /** `[batch, length]` ids, right-padded with the pad id. */
  input_ids: number[][];
  /** `[batch, length]`, 1 for real tokens, 0 for padding. */
  attention_mask: number[][];
  /** `[batch, length]` the ids where a loss is taken, else −100. */
  labels: number[][];
  /**
   * Packed rows only (HF's `DataCollatorWithFlattening`): `[batch, length]` segment ids (1, 2, ... per
   * example, 0 on padding) and positions restarting at 0 per example; attention stays in each example.
   */
  segment_ids?: number[][];
  position_ids?: number[][];
}

/** Either layout: encoder-decoder ({@link IdBatch}) or decoder-only ({@link CausalIdBatch}). */
export type AnyIdBatch = IdBatch | CausalIdBatch;

/** Whether a batch is in the decoder-only layout (it has no decoder inputs). */
export function isCausalIdBatch(batch: AnyIdBatch): batch is CausalIdBatch {
  return !('decoder_input_ids' in batch);
}

/**
 * Positions that carry a loss: the weight of the batch in token-weighted means. Encoder-decoder:
 * labels ≠ −100; decoder-only: the shifted labels (`labels[:, 1:]`), the targets the loss scores.
 */
export function targetTokenCount(batch: AnyIdBatch): number {
  const from = isCausalIdBatch(batch) ? 1 : 0;
  let n = 0;
  for (const row of batch.labels) for (let i = from; i < row.length; i++) if (row[i] !== -100) n++;
  return n;
}
