/** What one batch holds, for the run's metrics (tokens/s without padding, padding fraction). */
import type { IdBatch } from '../batch';

export interface BatchMetrics {
  /** Examples in the batch (packed rows hold several). */
  examples: number;
  /** Real encoder tokens. */
  inputTokens: number;
  /** Real decoder tokens (= tokens with a loss). */
  targetTokens: number;
  /** `inputTokens + targetTokens`. */
  nonPadTokens: number;
  /** Token slots of the batch, encoder and decoder together. */
  totalTokens: number;
  /** `1 − nonPadTokens / totalTokens`: the share of compute spent on padding. */
  paddingFraction: number;
}

/** Counts a batch's real tokens from its attention mask and labels. */
export function batchMetrics(batch: IdBatch, examples: number): BatchMetrics {
  let inputTokens = 0;
  let totalTokens = 0;
  for (const row of batch.attention_mask) {
    totalTokens += row.length;
    for (const m of row) inputTokens += m;
  }
  let targetTokens = 0;
  for (const row of batch.labels) {
    totalTokens += row.length;
    for (const id of row) if (id !== -100) targetTokens++;
  }
  const nonPadTokens = inputTokens + targetTokens;
  return {
    examples,
    inputTokens,
    targetTokens,
    nonPadTokens,
    totalTokens,
    paddingFraction: totalTokens === 0 ? 0 : 1 - nonPadTokens / totalTokens,
  };
}
