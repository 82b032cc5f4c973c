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

/** Positions that carry a loss (label ≠ -100): the weight of the batch in token-weighted means. */
export function targetTokenCount(batch: IdBatch): number {
  let n = 0;
  for (const row of batch.labels) for (const l of row) if (l !== -100) n++;
  return n;
}
