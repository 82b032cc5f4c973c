/**
 * Autoregressive decoding of a Seq2SeqLM (encoder once, then the decoder with its cache) or a
 * CausalLM (left-padded prefill, then its KV cache): greedy, sampling and beam search, through one
 * `DecodingSession` (session.ts). Logits of the last position are downloaded each step (`await
 * data()`, which every backend supports) and processed on the host, where the per-row bookkeeping
 * lives anyway.
 */
import * as tf from '@tensorflow/tfjs-core';
import { isCausalLM, type CausalLM } from '../causal/interface';
import type { Seq2SeqLM } from '../t5/interface';
import { BeamHypotheses, topCandidates, type BeamHypothesis } from './beam-search';
import { checkEncoderInputs, padPrompts, promptLists, type Prompts } from './inputs';
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
import { causalSession, seq2seqSession, type DecodingSession } from './session';

/** What `generate` returns; rows are prompt-major (`numReturnSequences` rows per prompt). */
export interface GenerationOutput {
  /** Generated ids per row, without the prompt or decoder start token, ending with eos when it was emitted. */
  newTokens: number[][];
  /**
   * Hugging Face's `sequences` layout: the decoder start token (encoder-decoder) or the left-padded
   * prompt (decoder-only), then the new tokens, rows padded with the pad token to a common length
   * (after eos, or after a stop string).
   */
  sequences: number[][];
  /** Whether each row ended by emitting eos. */
  finishedWithEos: boolean[];
  /** Beam search only: each returned sequence's length-penalised score. */
  sequenceScores?: number[];
}

/**
 * Generates continuations of a batch of prompts (see `GenerationOptions`; greedy by default).
 * Decoder-only prompts are left-padded, with position ids from the attention mask, as Hugging
 * Face's `generate`. Leaves no tensors behind; tensors passed in stay owned by the caller.
 *
 * @example
 * const out = await generate(model, [tokenizer.encode('translate English to German: Hello')], { maxNewTokens: 32 });
 * tokenizer.decode(out.newTokens[0]);
 */
export async function generate(
  model: Seq2SeqLM | CausalLM,
  prompts: Prompts,
  options: GenerationOptions = {},
): Promise<GenerationOutput> {
  const o = resolveGenerationOptions(model, options);
  const rowsPerPrompt = o.numBeams > 1 ? o.numBeams : o.numReturnSequences;
  const session = await openSession(model, prompts, rowsPerPrompt, o);
  try {
    return o.numBeams > 1 ? await beamSearch(session, o) : await greedyOrSample(session, o, rowsPerPrompt);
  } finally {
    session.dispose();
  }
}

async function openSession(
  model: Seq2SeqLM | CausalLM,
  prompts: Prompts,
  times: number,
  o: ResolvedGenerationOptions,
): Promise<DecodingSession> {
  if (isCausalLM(model)) return causalSession(model, await promptLists(prompts, model.vocabSize), times);
  const owned = Array.isArray(prompts);
  const inputs = Array.isArray(prompts)
    ? padPrompts(prompts as readonly (readonly number[])[], model.padTokenId, model.vocabSize)
    : (prompts as Exclude<Prompts, readonly (readonly number[])[]>);
  try {
    checkEncoderInputs(inputs);
    return seq2seqSession(model, inputs, times, o.decoderStartTokenId);
  } finally {
    if (owned) tf.dispose([inputs.inputIds, inputs.attentionMask]);
  }
}

/** The processors every strategy applies, in HF's order; `history` is the context and the new tokens. */
function processScores(
  scores: Float32Array,
  history: readonly number[],
  newTokenCount: number,
  o: ResolvedGenerationOptions,
): void {
  suppressUnusedVocabulary(scores, o.allowedVocabSize);
  applyRepetitionPenalty(scores, history, o.repetitionPenalty);
  banRepeatedNgrams(scores, history, o.noRepeatNgramSize);
  for (const eos of o.eosTokenIds) suppressEarlyEos(scores, newTokenCount, o.minNewTokens, eos);
}

function hitsStopString(o: ResolvedGenerationOptions, newTokens: readonly number[]): boolean {
  if (o.stopStrings.length === 0 || o.decode === undefined) return false;
  const text = o.decode(newTokens);
  return o.stopStrings.some((s) => text.includes(s));
}

async function greedyOrSample(
  session: DecodingSession,
  o: ResolvedGenerationOptions,
  rowsPerPrompt: number,
): Promise<GenerationOutput> {
  const rowCount = session.rowCount;
  const promptOf = (r: number) => Math.floor(r / rowsPerPrompt);
  const random = seededRandom(o.seed);
  const sequences = Array.from({ length: rowCount }, (_, r) => [...session.prefix(promptOf(r))]);
  const newTokens: number[][] = Array.from({ length: rowCount }, () => []);
  const finished = new Array<boolean>(rowCount).fill(false);
  const finishedWithEos = new Array<boolean>(rowCount).fill(false);
  let last: number[] | undefined;
  for (let s = 0; s < o.maxNewTokens && finished.includes(false); s += 1) {
    const rows = await session.next(last, s);
    const emitted: (number | null)[] = [];
    rows.forEach((scores, r) => {
      if (finished[r]) {
        sequences[r]!.push(o.padTokenId);
        emitted.push(null);
        return;
      }
      processScores(scores, [...session.context(promptOf(r)), ...newTokens[r]!], newTokens[r]!.length, o);
      let token: number;
      if (o.doSample) {
        applyTemperature(scores, o.temperature);
        topKFilter(scores, o.topK);
        topPFilter(scores, o.topP);
        token = sampleIndex(scores, random);
      } else {
        token = argmax(scores);
      }
      sequences[r]!.push(token);
      newTokens[r]!.push(token);
      emitted.push(token);
      if (o.eosTokenIds.includes(token)) {
        finished[r] = true;
        finishedWithEos[r] = true;
      } else if (hitsStopString(o, newTokens[r]!)) {
        finished[r] = true;
      }
    });
    last = sequences.map((q) => q[q.length - 1]!);
    o.onStep?.({ step: s, tokens: emitted });
  }
  return { newTokens, sequences, finishedWithEos };
}

async function beamSearch(session: DecodingSession, o: ResolvedGenerationOptions): Promise<GenerationOutput> {
  const k = o.numBeams;
  const rowCount = session.rowCount;
  const batch = rowCount / k;
  // Only the first beam of each prompt is live at the start, so the first step does not pick k copies of one token.
  let beamScores = Float32Array.from({ length: rowCount }, (_, r) => (r % k === 0 ? 0 : -1e9));
  /** The new tokens of every running beam. */
  let running: number[][] = Array.from({ length: rowCount }, () => []);
  const hypotheses = Array.from(
    { length: batch },
    () => new BeamHypotheses(k, o.lengthPenalty, o.earlyStopping, o.maxNewTokens),
  );
  const done = new Array<boolean>(batch).fill(false);
  let last: number[] | undefined;
  let steps = 0;
  while (steps < o.maxNewTokens && done.includes(false)) {
    const next = await session.next(last, steps);
    const rows = next.map((scores, r) => {
      logSoftmax(scores);
      processScores(scores, [...session.context(Math.floor(r / k)), ...running[r]!], running[r]!.length, o);
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
        const tokens = [...running[source]!, c.token];
        const eos = o.eosTokenIds.includes(c.token);
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
    session.select(nextRows);
    running = nextRows.map((source, r) => [...running[source]!, nextTokens[r]!]);
    last = nextTokens;
    beamScores = nextScores;
    steps += 1;
  }
  const chosen: { h: BeamHypothesis; prompt: number }[] = [];
  for (let b = 0; b < batch; b += 1) {
    if (!done[b]) {
      for (let beam = 0; beam < k; beam += 1)
        hypotheses[b]!.add(running[b * k + beam]!, beamScores[b * k + beam]!, false);
    }
    chosen.push(...hypotheses[b]!.best(o.numReturnSequences).map((h) => ({ h, prompt: b })));
  }
  const rowsOut = chosen.map(({ h, prompt }) => [...session.prefix(prompt), ...h.tokens]);
  const width = Math.max(...rowsOut.map((row) => row.length));
  return {
    newTokens: chosen.map(({ h }) => h.tokens),
    sequences: rowsOut.map((row) => {
      while (row.length < width) row.push(o.padTokenId);
      return row;
    }),
    finishedWithEos: chosen.map(({ h }) => h.endedWithEos),
    sequenceScores: chosen.map(({ h }) => h.score),
  };
}
