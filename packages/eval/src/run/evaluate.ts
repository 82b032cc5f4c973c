/**
 * Runs prompt records through a model: batches grouped by prompt length, generation + extraction
 * (with self-consistency when asked) or rank classification, one result per example.
 */
import { generate, isCausalLM, scoreTargets, type CausalLM, type Seq2SeqLM } from '@flan-ts/models';
import type { ChatRenderer } from '@flan-ts/templates';
import { mmluPromptParts, withShots } from '../benchmarks/mmlu';
import { EvalError } from '../errors';
import { scoreOutput } from '../extract/index';
import type { PromptRecord } from '../prompts';
import { selfConsistency } from '../vote';
import { promptEncoding, type PromptEncoding } from './prompt-encoding';
import { defaultMaxNewTokens, fnv1a, rankable, stopStrings, type RunSettings } from './settings';

/** A model the runner evaluates: a T5 (`Seq2SeqLM`) or a decoder-only model (`CausalLM`). */
export type EvalModel = Seq2SeqLM | CausalLM;

/** What the runner needs of a tokenizer. */
export interface EvalTokenizer {
  encode(text: string, options?: { addSpecialTokens?: boolean }): { ids: ArrayLike<number> };
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
  readonly vocabSize: number;
}

/** The result of one example, as cached and reported. */
export interface ExampleResult {
  key: string;
  benchmark: string;
  format: string;
  task: string;
  example_id: string;
  mode: 'generate' | 'rank';
  prompt_tokens: number;
  /** Whether the prompt was cut from the left to fit `maxInputTokens`. */
  truncated: boolean;
  /** MMLU direct: exemplars dropped to fit `maxInputTokens`. */
  shots_dropped: number;
  model_output?: string;
  samples?: string[];
  /** Rank mode: summed log-probability of each option. */
  option_scores?: number[];
  extracted: string;
  correct: boolean;
}

/**
 * How prompts and options become ids for `model` (decoder-only models continue the prompt; `chat`
 * wraps it in the chat template's user turn).
 */
export function encodingFor(model: EvalModel, tokenizer: EvalTokenizer, chat?: ChatRenderer): PromptEncoding {
  return promptEncoding(tokenizer, isCausalLM(model), chat);
}

/** A prompt encoded, truncated from the left when too long (for a T5 its eos is then cut too). */
export interface EncodedPrompt {
  record: PromptRecord;
  key: string;
  ids: number[];
  truncated: boolean;
  promptTokens: number;
  shotsDropped: number;
}

export function encodePrompt(
  record: PromptRecord,
  key: string,
  tokenizer: PromptEncoding | EvalTokenizer,
  maxInputTokens: number,
): EncodedPrompt {
  // A tokenizer alone encodes as for a T5 (see encodingFor for decoder-only models).
  const encoding = 'prompt' in tokenizer ? tokenizer : promptEncoding(tokenizer, false);
  const ids = encoding.prompt(record.prompt);
  const base = { record, key, promptTokens: ids.length, shotsDropped: 0 };
  if (ids.length <= maxInputTokens) return { ...base, ids, truncated: false };
  // MMLU direct drops exemplars from the end while the prompt is too long, as the MMLU authors' script.
  const parts = record.benchmark === 'mmlu' ? mmluPromptParts(record.prompt, record.format) : undefined;
  if (parts !== undefined)
    for (let k = parts.shots.length - 1; k >= 0; k--) {
      const fewer = encoding.prompt(withShots(parts, k));
      if (fewer.length <= maxInputTokens)
        return { ...base, ids: fewer, truncated: false, shotsDropped: parts.shots.length - k };
    }
  // Otherwise keep the end: the question being asked is last; the first exemplars go.
  return { ...base, ids: ids.slice(ids.length - maxInputTokens), truncated: true };
}

/**
 * Batches of one benchmark/format: prompts sorted by length (stable, so the batches depend only on
 * the prompts, not on which worker runs them), then cut into runs of `batchSize`.
 */
export function planBatches(prompts: readonly EncodedPrompt[], batchSize: number): EncodedPrompt[][] {
  const sorted = prompts
    .map((p, i) => ({ p, i }))
    .sort((a, b) => a.p.ids.length - b.p.ids.length || a.i - b.i)
    .map((x) => x.p);
  const out: EncodedPrompt[][] = [];
  for (let i = 0; i < sorted.length; i += batchSize) out.push(sorted.slice(i, i + batchSize));
  return out;
}

const LETTERS = ['A', 'B', 'C', 'D'];

/** Runs one batch (all of one benchmark and format) and returns a result per prompt, in order. */
export async function evaluateBatch(
  model: EvalModel,
  tokenizer: EvalTokenizer,
  batch: readonly EncodedPrompt[],
  settings: RunSettings,
  encoding: PromptEncoding = encodingFor(model, tokenizer),
): Promise<ExampleResult[]> {
  const first = batch[0]!.record;
  const { benchmark, format } = first;
  const base = (p: EncodedPrompt) => ({
    key: p.key,
    benchmark: p.record.benchmark,
    format: p.record.format,
    task: p.record.task,
    example_id: p.record.example_id,
    prompt_tokens: p.promptTokens,
    truncated: p.truncated,
    shots_dropped: p.shotsDropped,
  });
  if (settings.mode === 'rank' && rankable(benchmark, format)) {
    const bare = format === 'direct_hendrycks';
    const targets = LETTERS.map((l) => encoding.option(bare ? l : `(${l})`));
    const scores = await scoreTargets(
      model,
      batch.map((p) => ({ inputIds: p.ids, targets })),
      { batchSize: settings.batchSize * 4 },
    );
    return batch.map((p, i) => {
      const sums = scores[i]!.map((s) => s.sumLogprob);
      const best = sums.indexOf(Math.max(...sums));
      const extracted = bare ? LETTERS[best]! : `(${LETTERS[best]})`;
      return {
        ...base(p),
        mode: 'rank',
        option_scores: sums,
        extracted,
        correct: extracted === p.record.target,
      };
    });
  }
  const decode = (ids: readonly number[]) => tokenizer.decode(ids, { skipSpecialTokens: true });
  const common = {
    maxNewTokens: settings.maxNewTokens ?? defaultMaxNewTokens(benchmark, format),
    stopStrings: stopStrings(format),
    decode,
    allowedVocabSize: Math.min(tokenizer.vocabSize, model.vocabSize),
  };
  const sc = format === 'cot' || format === 'native_cot' ? settings.selfConsistency : undefined;
  if (sc !== undefined) {
    // One example at a time with a seed from its id: its samples do not depend on batch or worker.
    const out: ExampleResult[] = [];
    for (const p of batch) {
      const seed = (sc.seed ^ parseInt(fnv1a(p.record.example_id), 16)) >>> 0;
      const gen = await generate(model, [p.ids], {
        ...common,
        doSample: true,
        temperature: sc.temperature,
        topK: sc.topK,
        seed,
        numReturnSequences: sc.k,
      });
      const samples = gen.newTokens.map((t) => cutAtStop(decode(t), common.stopStrings));
      const vote = selfConsistency({ ...p.record, samples });
      out.push({ ...base(p), mode: 'generate', samples, extracted: vote.majority, correct: vote.correct });
    }
    return out;
  }
  const gen = await generate(
    model,
    batch.map((p) => p.ids),
    common,
  );
  return batch.map((p, i) => {
    const text = cutAtStop(decode(gen.newTokens[i]!), common.stopStrings);
    const scored = scoreOutput({ ...p.record, model_output: text });
    return {
      ...base(p),
      mode: 'generate',
      model_output: text,
      extracted: scored.extracted,
      correct: scored.correct,
    };
  });
}

/** The text before the first stop string (generation stops once one appears, but keeps it). */
export function cutAtStop(text: string, stops: readonly string[]): string {
  let end = text.length;
  for (const s of stops) {
    const at = text.indexOf(s);
    if (at >= 0 && at < end) end = at;
  }
  return text.slice(0, end);
}

/**
 * Evaluates prompt records (any mix of benchmarks and formats) without a cache: each benchmark and
 * format is encoded, batched by length and run; results come back in the order of `prompts`.
 * `onResult` streams each batch's results as they finish; once `signal.aborted` is true no further
 * batch starts and the promise rejects with an {@link EvalError} ("evaluation cancelled").
 */
export async function evaluatePrompts(
  model: EvalModel,
  tokenizer: EvalTokenizer,
  prompts: readonly PromptRecord[],
  settings: RunSettings,
  onResult?: (results: ExampleResult[]) => void,
  signal?: { readonly aborted: boolean },
  chat?: ChatRenderer,
): Promise<ExampleResult[]> {
  const encoding = encodingFor(model, tokenizer, chat);
  const groups = new Map<string, EncodedPrompt[]>();
  prompts.forEach((record, i) => {
    const group = `${record.benchmark}\t${record.format}`;
    const encoded = encodePrompt(record, String(i), encoding, settings.maxInputTokens);
    groups.set(group, [...(groups.get(group) ?? []), encoded]);
  });
  const out = new Array<ExampleResult>(prompts.length);
  for (const encoded of groups.values())
    for (const batch of planBatches(encoded, settings.batchSize)) {
      if (signal?.aborted) throw new EvalError('evaluation cancelled');
      const results = await evaluateBatch(model, tokenizer, batch, settings, encoding);
      results.forEach((r) => (out[Number(r.key)] = r));
      onResult?.(results);
    }
  return out;
}
