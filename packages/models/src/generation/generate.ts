/**
 * Autoregressive decoding of a Seq2SeqLM with the decoder's key/value cache: greedy, sampling and
 * beam search. Logits of the last position are downloaded each step (`await data()`, which every
 * backend supports) and processed on the host, where the per-row bookkeeping lives anyway.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import type { DecoderCache, Seq2SeqLM } from '../t5/interface';
import { BeamHypotheses, topCandidates, type BeamHypothesis } from './beam-search';
import { GenerationError } from './errors';
import { checkEncoderInputs, padPrompts, type Prompts } from './inputs';
import {
  applyRepetitionPenalty,
  applyTemperature,
  argmax,
  banRepeatedNgrams,
  logSoftmax,
  sampleIndex,
  suppressEarlyEos,
  suppressUnusedVocabulary,
  topKFilter,
  topPFilter,
} from './logits-processors';
import { resolveGenerationOptions, type GenerationOptions, type ResolvedGenerationOptions } from './options';
import { seededRandom } from './random';

/** What `generate` returns; rows are prompt-major (`numReturnSequences` rows per prompt). */
export interface GenerationOutput {
  /** Generated ids per row, without the decoder start token, ending with eos when it was emitted. */
  newTokens: number[][];
  /**
   * Hugging Face's `sequences` layout: the decoder start token, then the new tokens, rows padded
   * with the pad token to a common length (after eos, or after a stop string).
   */
  sequences: number[][];
  /** Whether each row ended by emitting eos. */
  finishedWithEos: boolean[];
  /** Beam search only: each returned sequence's length-penalised score. */
  sequenceScores?: number[];
}

interface Encoded {
  hidden: Tensor3D;
  mask: Tensor2D;
}

/**
 * Generates continuations of a batch of prompts (see `GenerationOptions`; greedy by default).
 * Leaves no tensors behind; tensors passed in stay owned by the caller.
 *
 * @example
 * const out = await generate(model, [tokenizer.encode('translate English to German: Hello')], { maxNewTokens: 32 });
 * tokenizer.decode(out.newTokens[0]);
 */
export async function generate(
  model: Seq2SeqLM,
  prompts: Prompts,
  options: GenerationOptions = {},
): Promise<GenerationOutput> {
  const o = resolveGenerationOptions(model, options);
  const owned = Array.isArray(prompts);
  const inputs = Array.isArray(prompts)
    ? padPrompts(prompts as readonly (readonly number[])[], model.padTokenId, model.vocabSize)
    : (prompts as Exclude<Prompts, readonly (readonly number[])[]>);
  checkEncoderInputs(inputs);
  const rowsPerPrompt = o.numBeams > 1 ? o.numBeams : o.numReturnSequences;
  let encoded: Encoded | undefined;
  try {
    encoded = encodeExpanded(model, inputs.inputIds, inputs.attentionMask, rowsPerPrompt);
    return o.numBeams > 1 ? await beamSearch(model, encoded, o) : await greedyOrSample(model, encoded, o);
  } finally {
    encoded?.hidden.dispose();
    encoded?.mask.dispose();
    if (owned) tf.dispose([inputs.inputIds, inputs.attentionMask]);
  }
}

/** Encodes once, then repeats each prompt's rows `times` times (HF's `_expand_inputs_for_generation`). */
function encodeExpanded(
  model: Seq2SeqLM,
  inputIds: Tensor2D,
  attentionMask: Tensor2D,
  times: number,
): Encoded {
  const hidden = model.encode(inputIds, attentionMask);
  if (times === 1) return { hidden, mask: tf.clone(attentionMask) };
  const batch = inputIds.shape[0];
  const rows = Array.from({ length: batch * times }, (_, i) => Math.floor(i / times));
  const index = tf.tensor1d(rows, 'int32');
  try {
    return { hidden: tf.gather(hidden, index), mask: tf.gather(attentionMask, index) };
  } finally {
    tf.dispose([hidden, index]);
  }
}

/** One decoder step for `lastTokens` (one per row); returns each row's logits as its own array. */
async function step(
  model: Seq2SeqLM,
  encoded: Encoded,
  lastTokens: readonly number[],
  cache: DecoderCache | undefined,
  stepIndex: number,
): Promise<{ rows: Float32Array[]; cache: DecoderCache }> {
  const decoderInputIds = tf.tensor2d(Int32Array.from(lastTokens), [lastTokens.length, 1], 'int32');
  let result: { logits: Tensor3D; cache: DecoderCache };
  try {
    result = model.decode(decoderInputIds, encoded.hidden, encoded.mask, cache);
  } finally {
    decoderInputIds.dispose();
  }
  const { logits } = result;
  try {
    const [batch, length, vocab] = logits.shape;
    if (batch !== lastTokens.length || length !== 1 || vocab !== model.vocabSize) {
      throw new GenerationError(
        `step ${stepIndex}: the model returned logits of shape [${logits.shape.join(', ')}], expected [${lastTokens.length}, 1, ${model.vocabSize}]`,
      );
    }
    const data = (await logits.data()) as Float32Array;
    const rows = Array.from({ length: batch }, (_, r) => data.slice(r * vocab, (r + 1) * vocab));
    rows.forEach((row, r) => {
      if (row.some(Number.isNaN))
        throw new GenerationError(`step ${stepIndex}: the model's logits for row ${r} contain NaN`);
    });
    return { rows, cache: result.cache };
  } catch (error) {
    result.cache.dispose();
    throw error;
  } finally {
    logits.dispose();
  }
}

/** The processors every strategy applies, in HF's order. */
function processScores(
  scores: Float32Array,
  sequence: readonly number[],
  o: ResolvedGenerationOptions,
): void {
  suppressUnusedVocabulary(scores, o.allowedVocabSize);
  applyRepetitionPenalty(scores, sequence, o.repetitionPenalty);
  banRepeatedNgrams(scores, sequence, o.noRepeatNgramSize);
  suppressEarlyEos(scores, sequence.length - 1, o.minNewTokens, o.eosTokenId);
}

function hitsStopString(o: ResolvedGenerationOptions, newTokens: readonly number[]): boolean {
  if (o.stopStrings.length === 0 || o.decode === undefined) return false;
  const text = o.decode(newTokens);
  return o.stopStrings.some((s) => text.includes(s));
}

async function greedyOrSample(
  model: Seq2SeqLM,
  encoded: Encoded,
  o: ResolvedGenerationOptions,
): Promise<GenerationOutput> {
  const rowCount = encoded.hidden.shape[0];
  const random = seededRandom(o.seed);
  const sequences = Array.from({ length: rowCount }, () => [o.decoderStartTokenId]);
  const newTokens: number[][] = Array.from({ length: rowCount }, () => []);
  const finished = new Array<boolean>(rowCount).fill(false);
  const finishedWithEos = new Array<boolean>(rowCount).fill(false);
  let cache: DecoderCache | undefined;
  try {
    for (let s = 0; s < o.maxNewTokens && finished.includes(false); s += 1) {
      const next = await step(
        model,
        encoded,
        sequences.map((q) => q[q.length - 1]!),
        cache,
        s,
      );
      cache?.dispose();
      cache = next.cache;
      const emitted: (number | null)[] = [];
      next.rows.forEach((scores, r) => {
        const sequence = sequences[r]!;
        if (finished[r]) {
          sequence.push(o.padTokenId);
          emitted.push(null);
          return;
        }
        processScores(scores, sequence, o);
        let token: number;
        if (o.doSample) {
          applyTemperature(scores, o.temperature);
          topKFilter(scores, o.topK);
          topPFilter(scores, o.topP);
          token = sampleIndex(scores, random);
        } else {
          token = argmax(scores);
        }
        sequence.push(token);
        newTokens[r]!.push(token);
        emitted.push(token);
        if (token === o.eosTokenId) {
          finished[r] = true;
          finishedWithEos[r] = true;
        } else if (hitsStopString(o, newTokens[r]!)) {
          finished[r] = true;
        }
      });
      o.onStep?.({ step: s, tokens: emitted });
    }
  } finally {
    cache?.dispose();
  }
  return { newTokens, sequences, finishedWithEos };
}

async function beamSearch(
  model: Seq2SeqLM,
  encoded: Encoded,
  o: ResolvedGenerationOptions,
): Promise<GenerationOutput> {
  const k = o.numBeams;
  const rowCount = encoded.hidden.shape[0];
  const batch = rowCount / k;
  // Only the first beam of each prompt is live at the start, so the first step does not pick k copies of one token.
  let beamScores = Float32Array.from({ length: rowCount }, (_, r) => (r % k === 0 ? 0 : -1e9));
  let running: number[][] = Array.from({ length: rowCount }, () => [o.decoderStartTokenId]);
  const hypotheses = Array.from(
    { length: batch },
    () => new BeamHypotheses(k, o.lengthPenalty, o.earlyStopping, o.maxNewTokens),
  );
  const done = new Array<boolean>(batch).fill(false);
  let cache: DecoderCache | undefined;
  let steps = 0;
  try {
    while (steps < o.maxNewTokens && done.includes(false)) {
      const next = await step(
        model,
        encoded,
        running.map((q) => q[q.length - 1]!),
        cache,
        steps,
      );
      cache?.dispose();
      cache = next.cache;
      const rows = next.rows.map((scores, r) => {
        logSoftmax(scores);
        processScores(scores, running[r]!, o);
        const offset = beamScores[r]!;
        for (let i = 0; i < scores.length; i += 1) scores[i] = scores[i]! + offset;
        return scores;
      });
      const nextScores = new Float32Array(rowCount);
      const nextTokens = new Array<number>(rowCount).fill(o.padTokenId);
      const nextRows = Array.from({ length: rowCount }, (_, r) => r - (r % k));
      const generatedLen = steps + 1;
      for (let b = 0; b < batch; b += 1) {
        if (done[b]) continue;
        const candidates = topCandidates(rows.slice(b * k, (b + 1) * k), 2 * k);
        let filled = 0;
        for (const [rank, c] of candidates.entries()) {
          const source = b * k + c.beam;
          const tokens = [...running[source]!.slice(1), c.token];
          const eos = c.token === o.eosTokenId;
          if (eos || hitsStopString(o, tokens)) {
            // A finishing candidate outside the top k would displace a better running beam.
            if (rank < k) hypotheses[b]!.add(tokens, c.score, eos);
          } else {
            nextScores[b * k + filled] = c.score;
            nextTokens[b * k + filled] = c.token;
            nextRows[b * k + filled] = source;
            filled += 1;
          }
          if (filled === k) break;
        }
        // Only possible when stop strings end many candidates: the empty slots must never win.
        for (let slot = filled; slot < k; slot += 1) nextScores[b * k + slot] = -1e9;
        done[b] = hypotheses[b]!.isDone(candidates[0]!.score, generatedLen);
      }
      const selected = cache.select(nextRows);
      cache.dispose();
      cache = selected;
      running = nextRows.map((source, r) => [...running[source]!, nextTokens[r]!]);
      beamScores = nextScores;
      steps += 1;
    }
  } finally {
    cache?.dispose();
  }
  const chosen: BeamHypothesis[] = [];
  for (let b = 0; b < batch; b += 1) {
    if (!done[b]) {
      for (let beam = 0; beam < k; beam += 1)
        hypotheses[b]!.add(running[b * k + beam]!.slice(1), beamScores[b * k + beam]!, false);
    }
    chosen.push(...hypotheses[b]!.best(o.numReturnSequences));
  }
  const width = 1 + Math.max(...chosen.map((h) => h.tokens.length));
  return {
    newTokens: chosen.map((h) => h.tokens),
    sequences: chosen.map((h) => {
      const row = [o.decoderStartTokenId, ...h.tokens];
      while (row.length < width) row.push(o.padTokenId);
      return row;
    }),
    finishedWithEos: chosen.map((h) => h.endedWithEos),
    sequenceScores: chosen.map((h) => h.score),
  };
}
