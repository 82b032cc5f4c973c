/**
 * Log-probabilities of given targets by teacher forcing. Under a Seq2SeqLM the decoder reads the
 * start token followed by the target, and position t scores target token t. Under a CausalLM a
 * target continues the prompt: target token j is scored by the logits after prompt + target[<j]
 * (each prompt prefilled once per batch, causal-score.ts). Targets are used as given: the T5 tokenizer
 * already appends eos, which is then scored like any other token (as the paper's rank
 * classification does).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import { isCausalLM, type CausalLM } from '../causal/interface';
import type { Seq2SeqLM } from '../t5/interface';
import { scoreCausalBatch } from './causal-score';
import { ScoringError } from './errors';

/** One input and the targets to score against it. */
export interface ScoringRequest {
  /** Encoder input ids (eos included, as the tokenizer returns them). */
  inputIds: readonly number[];
  /** Target id lists, each scored separately. */
  targets: readonly (readonly number[])[];
}

export interface TargetScore {
  /** log p(target[t] | input, target[<t]) for every target token. */
  tokenLogprobs: number[];
  /** Sum of `tokenLogprobs`: the score rank classification compares. */
  sumLogprob: number;
}

export interface ScoringOptions {
  /** Most (input, target) pairs per forward pass. Default 16. */
  batchSize?: number;
}

interface Pair {
  request: number;
  target: number;
}

// Flat gather indices are int32: a batch's logits must stay below 2^31 elements.
const MAX_LOGITS_ELEMENTS = 2 ** 31 - 1;

function checkIds(ids: readonly number[], vocabSize: number, what: string): void {
  if (ids.length === 0) throw new ScoringError(`${what} is empty`);
  ids.forEach((id, i) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new ScoringError(`${what}, position ${i}: ${id} is not a token id in [0, ${vocabSize})`);
    }
  });
}

/**
 * Scores every target of every request; result[i][j] belongs to `requests[i].targets[j]`.
 * Pairs are batched, each distinct input is encoded once per batch, and no tensors are left behind.
 */
export async function scoreTargets(
  model: Seq2SeqLM | CausalLM,
  requests: readonly ScoringRequest[],
  options: ScoringOptions = {},
): Promise<TargetScore[][]> {
  const batchSize = options.batchSize ?? 16;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new ScoringError(`batchSize must be an integer ≥ 1, got ${batchSize}`);
  requests.forEach((r, i) => {
    checkIds(r.inputIds, model.vocabSize, `request ${i} inputIds`);
    if (r.targets.length === 0) throw new ScoringError(`request ${i} has no targets`);
    r.targets.forEach((t, j) => checkIds(t, model.vocabSize, `request ${i} target ${j}`));
  });
  const results: TargetScore[][] = requests.map((r) => new Array<TargetScore>(r.targets.length));
  const pairs: Pair[] = requests.flatMap((r, request) => r.targets.map((_, target) => ({ request, target })));
  // The logits rows a pair needs: one per target token (decoder-only: the prompt's last row, then
  // one per fed target token).
  const widthOf = (p: Pair) => requests[p.request]!.targets[p.target]!.length;
  let batch: Pair[] = [];
  let batchWidth = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const scores = isCausalLM(model)
      ? await scoreCausalBatch(model, { requests, pairs: batch })
      : await scoreBatch(model, requests, batch);
    batch.forEach((p, i) => (results[p.request]![p.target] = scores[i]!));
    batch = [];
    batchWidth = 0;
  };
  for (const pair of pairs) {
    const width = Math.max(batchWidth, widthOf(pair));
    if (
      batch.length > 0 &&
      (batch.length >= batchSize || (batch.length + 1) * width * model.vocabSize > MAX_LOGITS_ELEMENTS)
    ) {
      await flush();
    }
    batch.push(pair);
    batchWidth = Math.max(batchWidth, widthOf(pair));
    if (batchWidth * model.vocabSize > MAX_LOGITS_ELEMENTS) {
      throw new ScoringError(`target of ${batchWidth} tokens is too long to score in one pass`);
    }
  }
  await flush();
  return results;
}

async function scoreBatch(
  model: Seq2SeqLM,
  requests: readonly ScoringRequest[],
  pairs: readonly Pair[],
): Promise<TargetScore[]> {
  const inputsUsed = [...new Set(pairs.map((p) => p.request))];
  const srcLen = Math.max(...inputsUsed.map((i) => requests[i]!.inputIds.length));
  const targets = pairs.map((p) => requests[p.request]!.targets[p.target]!);
  const tgtLen = Math.max(...targets.map((t) => t.length));
  const vocab = model.vocabSize;

  const ids = new Int32Array(inputsUsed.length * srcLen).fill(model.padTokenId);
  const mask = new Int32Array(inputsUsed.length * srcLen);
  inputsUsed.forEach((request, row) => {
    requests[request]!.inputIds.forEach((id, col) => {
      ids[row * srcLen + col] = id;
      mask[row * srcLen + col] = 1;
    });
  });
  const decoderIds = new Int32Array(pairs.length * tgtLen).fill(model.padTokenId);
  // Flat index into the [pairs·tgtLen·vocab] logits of each scored token (padding points at id 0 and is ignored).
  const picks = new Int32Array(pairs.length * tgtLen);
  targets.forEach((target, row) => {
    decoderIds[row * tgtLen] = model.decoderStartTokenId;
    target.forEach((id, t) => {
      if (t + 1 < tgtLen) decoderIds[row * tgtLen + t + 1] = id;
      picks[row * tgtLen + t] = (row * tgtLen + t) * vocab + id;
    });
  });
  const pairInput = pairs.map((p) => inputsUsed.indexOf(p.request));

  const [logNormalizer, picked] = tf.tidy(() => {
    const inputIds: Tensor2D = tf.tensor2d(ids, [inputsUsed.length, srcLen], 'int32');
    const attentionMask: Tensor2D = tf.tensor2d(mask, [inputsUsed.length, srcLen], 'int32');
    const encoded = model.encode(inputIds, attentionMask);
    const rows = tf.tensor1d(pairInput, 'int32');
    const { logits, cache } = model.decode(
      tf.tensor2d(decoderIds, [pairs.length, tgtLen], 'int32'),
      tf.gather(encoded, rows),
      tf.gather(attentionMask, rows),
    );
    cache.dispose();
    if (logits.shape[0] !== pairs.length || logits.shape[1] !== tgtLen || logits.shape[2] !== vocab) {
      throw new ScoringError(
        `the model returned logits of shape [${logits.shape.join(', ')}], expected [${pairs.length}, ${tgtLen}, ${vocab}]`,
      );
    }
    const lse = tf.reshape(tf.logSumExp(logits, 2), [-1]) as Tensor1D;
    const chosen = tf.gather(tf.reshape(logits, [-1]), tf.tensor1d(picks, 'int32')) as Tensor1D;
    return [lse, chosen];
  });
  try {
    const [lse, chosen] = await Promise.all([logNormalizer.data(), picked.data()]);
    return targets.map((target, row) => {
      const tokenLogprobs = target.map((_, t) =>
        Math.fround(chosen[row * tgtLen + t]! - lse[row * tgtLen + t]!),
      );
      const logprob = tokenLogprobs.reduce((a, b) => a + b, 0);
      if (Number.isNaN(logprob)) throw new ScoringError(`the model's logits for pair ${row} contain NaN`);
      return { tokenLogprobs, sumLogprob: Math.fround(logprob) };
    });
  } finally {
    tf.dispose([logNormalizer, picked]);
  }
}

/** Multiple choice by rank classification: the candidate with the highest summed log-probability wins. */
export async function rankClassify(
  model: Seq2SeqLM | CausalLM,
  inputIds: readonly number[],
  candidates: readonly (readonly number[])[],
  options: ScoringOptions = {},
): Promise<{ scores: TargetScore[]; best: number }> {
  const [scores] = await scoreTargets(model, [{ inputIds, targets: candidates }], options);
  let best = 0;
  scores!.forEach((s, i) => {
    if (s.sumLogprob > scores![best]!.sumLogprob) best = i;
  });
  return { scores: scores!, best };
}
