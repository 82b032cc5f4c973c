/**
 * Host-side logits processors and warpers, one decoder row at a time, with Hugging Face's semantics
 * (`RepetitionPenaltyLogitsProcessor`, `NoRepeatNGramLogitsProcessor`, `MinNewTokensLengthLogitsProcessor`,
 * `TemperatureLogitsWarper`, `TopKLogitsWarper`, `TopPLogitsWarper`). Each edits `scores` in place.
 * `sequence` is the row's decoder sequence so far, decoder start token included, as HF passes it.
 */
import type { RandomSource } from './random';

/** Ids at or above `allowedVocabSize` (embedding rows the tokenizer never produces) can never be chosen. */
export function suppressUnusedVocabulary(scores: Float32Array, allowedVocabSize: number): void {
  if (allowedVocabSize < scores.length) scores.fill(-Infinity, allowedVocabSize);
}

/** Every distinct id already in the sequence: positive scores divided by `penalty`, negative ones multiplied. */
export function applyRepetitionPenalty(
  scores: Float32Array,
  sequence: readonly number[],
  penalty: number,
): void {
  if (penalty === 1) return;
  for (const id of new Set(sequence)) {
    const s = scores[id];
    if (s === undefined) continue;
    scores[id] = s < 0 ? s * penalty : s / penalty;
  }
}

/** Forbids every token that would complete an n-gram of size `n` already present in the sequence. */
export function banRepeatedNgrams(scores: Float32Array, sequence: readonly number[], n: number): void {
  if (n <= 0 || sequence.length + 1 < n) return;
  const prefixStart = sequence.length + 1 - n;
  for (let start = 0; start + n <= sequence.length; start += 1) {
    let matches = true;
    for (let k = 0; k < n - 1; k += 1) {
      if (sequence[start + k] !== sequence[prefixStart + k]) {
        matches = false;
        break;
      }
    }
    const banned = sequence[start + n - 1];
    if (matches && banned !== undefined) scores[banned] = -Infinity;
  }
}

/** Eos is impossible until `minNewTokens` tokens have been generated. */
export function suppressEarlyEos(
  scores: Float32Array,
  newTokenCount: number,
  minNewTokens: number,
  eosTokenId: number,
): void {
  if (newTokenCount < minNewTokens) scores[eosTokenId] = -Infinity;
}

export function applyTemperature(scores: Float32Array, temperature: number): void {
  if (temperature === 1) return;
  for (let i = 0; i < scores.length; i += 1) scores[i] = scores[i]! / temperature;
}

/** Keeps the `k` best scores (and any tied with the k-th); the rest become -Infinity. */
export function topKFilter(scores: Float32Array, k: number): void {
  if (k <= 0 || k >= scores.length) return;
  const threshold = Float32Array.from(scores).sort()[scores.length - k]!;
  for (let i = 0; i < scores.length; i += 1) if (scores[i]! < threshold) scores[i] = -Infinity;
}

/**
 * Nucleus filtering as HF does it: sort ascending, drop the tokens whose cumulative probability
 * stays ≤ 1 − p, and always keep the most likely token.
 */
export function topPFilter(scores: Float32Array, p: number): void {
  if (p >= 1) return;
  // Tokens already at -Infinity (after top-k or masking) carry no mass: sort only the others.
  const order: number[] = [];
  for (let i = 0; i < scores.length; i += 1) if (scores[i]! > -Infinity) order.push(i);
  order.sort((a, b) => scores[a]! - scores[b]! || a - b);
  if (order.length === 0) return;
  const max = scores[order[order.length - 1]!]!;
  let total = 0;
  for (const i of order) total += Math.exp(scores[i]! - max);
  let cumulative = 0;
  for (let r = 0; r < order.length - 1; r += 1) {
    const i = order[r]!;
    cumulative += Math.exp(scores[i]! - max) / total;
    if (cumulative > 1 - p) break;
    scores[i] = -Infinity;
  }
}

/** Index of the best score; the first one on ties (as torch.argmax). */
export function argmax(scores: Float32Array): number {
  let best = 0;
  let bestScore = -Infinity;
  for (let i = 0; i < scores.length; i += 1) {
    if (scores[i]! > bestScore) {
      bestScore = scores[i]!;
      best = i;
    }
  }
  return best;
}

/** Draws an index with probability softmax(scores). */
export function sampleIndex(scores: Float32Array, random: RandomSource): number {
  const max = scores[argmax(scores)]!;
  let total = 0;
  for (let i = 0; i < scores.length; i += 1) total += Math.exp(scores[i]! - max);
  let target = random() * total;
  let last = 0;
  for (let i = 0; i < scores.length; i += 1) {
    const weight = Math.exp(scores[i]! - max);
    if (weight === 0) continue;
    last = i;
    target -= weight;
    if (target < 0) return i;
  }
  return last;
}

/** In place: scores − logsumexp(scores), in float32 like torch's log_softmax. */
export function logSoftmax(scores: Float32Array): void {
  const max = scores[argmax(scores)]!;
  let total = 0;
  for (let i = 0; i < scores.length; i += 1) total += Math.exp(scores[i]! - max);
  const logTotal = Math.log(total);
  for (let i = 0; i < scores.length; i += 1) scores[i] = scores[i]! - max - logTotal;
}
