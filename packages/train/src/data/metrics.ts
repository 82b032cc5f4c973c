/** What one batch holds, for the run's metrics (tokens/s without padding, padding fraction). */
import { isCausalIdBatch, type AnyIdBatch } from '../batch';

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
export function batchMetrics(batch: AnyIdBatch, examples: number): BatchMetrics {
  if (isCausalIdBatch(batch)) return causalBatchMetrics(batch.attention_mask, batch.labels, examples);
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

/** Decoder-only rows hold prompt and response together: the tokens with a loss are the response. */
function causalBatchMetrics(mask: number[][], labels: number[][], examples: number): BatchMetrics {
  let nonPadTokens = 0;
  let totalTokens = 0;
  let targetTokens = 0;
  mask.forEach((row, r) => {
    totalTokens += row.length;
    for (const m of row) nonPadTokens += m;
    for (const id of labels[r]!) if (id !== -100) targetTokens++;
  });
  return {
    examples,
    inputTokens: nonPadTokens - targetTokens,
    targetTokens,
    nonPadTokens,
    totalTokens,
    paddingFraction: totalTokens === 0 ? 0 : 1 - nonPadTokens / totalTokens,
  };
}
