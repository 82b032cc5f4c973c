/**
 * A whole evaluation run into a directory, as `flan eval run` does it: plan (every name and data
 * file checked first), per-example result cache (resume recomputes nothing finished), optional
 * worker processes, then `results.json`, `results.md` and `report.html`.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChatRenderer } from '@flan-ts/templates';
import { EvalError } from '../errors';
import { checkModelTokenizer } from '../run/check-model';
import {
  encodePrompt,
  encodingFor,
  evaluateBatch,
  planBatches,
  type EvalModel,
  type EvalTokenizer,
  type ExampleResult,
} from '../run/evaluate';
import type { ProgressCallback } from '../run/progress';
import { buildResults, type EvaluationResults } from '../run/results';
import { DEFAULT_MAX_INPUT_TOKENS, resultKey, type AnswerMode, type RunSettings } from '../run/settings';
import { mmluEvalSplit } from './data-dir';
import { modelFingerprint } from './fingerprint';
import { planEvaluation, type EvalUnit, type PlanOptions } from './plan';
import { cacheFileName, clearResultCache, readResultCache, ResultCacheWriter } from './run-cache';
import { ownsBatch, runWorkerProcesses, tellParent, type Shard, type WorkerCommand } from './workers';
import { writeResults, type ResultFiles } from './write-results';

/** A loaded model with a tokenizer that matches it. */
export interface LoadedEvalModel {
  /** A T5 or a decoder-only model. */
  model: EvalModel;
  /** The model's chat template, needed when `chatTemplate` is asked for. */
  chat?: ChatRenderer;
  tokenizer: EvalTokenizer & { readonly eosId?: number; readonly padId?: number };
  /** Frees the model (called once the run's batches are done). */
  close?(): void | Promise<void>;
}

export interface RunEvaluationOptions extends PlanOptions {
  /** The model's directory, hub id or URL: fingerprinted for the cache and named in the reports. */
  model: string;
  /** A LoRA adapter directory, part of the fingerprint. */
  adapter?: string;
  /** Loads the model; called only when some result is not cached, in each worker process. */
  load: () => Promise<LoadedEvalModel>;
  /** Output directory: the result cache and the reports. */
  out: string;
  /** Reuse the cached results in `out` (default: start over). */
  resume?: boolean;
  /** Most new tokens for every format (default: per format, see `defaultMaxNewTokens`). */
  maxNewTokens?: number;
  /** Default 2048. */
  maxInputTokens?: number;
  /** Default 8. */
  batchSize?: number;
  selfConsistency?: { k: number; temperature: number; topK: number; seed: number };
  /** Worker processes (default 1: this process computes). Needs `workerCommand` when above 1. */
  workers?: number;
  /**
   * How to start worker i of n: a process that calls {@link runEvaluationShard} with the same
   * options and that shard (the CLI starts itself again with `--shard i/n`).
   */
  workerCommand?: WorkerCommand;
  /** Recorded in `results.json` (`settings.backend`). */
  backend?: string;
  /** Decoder-only models: each prompt is the user's turn of the model's chat template (`load` gives it). */
  chatTemplate?: boolean;
  onProgress?: ProgressCallback;
}

/** What a finished run gives back besides its files. */
export interface EvaluationRun {
  results: EvaluationResults;
  files: ResultFiles;
  /** Results computed by this run. */
  computed: number;
  /** Results found in the cache. */
  cached: number;
}

function runSettings(options: RunEvaluationOptions, mode: AnswerMode): RunSettings {
  return {
    mode,
    ...(options.maxNewTokens !== undefined ? { maxNewTokens: options.maxNewTokens } : {}),
    maxInputTokens: options.maxInputTokens ?? DEFAULT_MAX_INPUT_TOKENS,
    batchSize: options.batchSize ?? 8,
    ...(options.selfConsistency !== undefined ? { selfConsistency: options.selfConsistency } : {}),
    ...(options.chatTemplate ? { chatTemplate: true } : {}),
  };
}

interface Prepared {
  units: EvalUnit[];
  keys: string[][];
  fingerprint: string;
}

async function prepare(options: RunEvaluationOptions): Promise<Prepared> {
  // Every prompt is built (and every data file checked) before any model time is spent.
  const units = await planEvaluation(options);
  const fingerprint = modelFingerprint(options.model, options.adapter);
  const keys = units.map((u) =>
    u.prompts.map((p) =>
      resultKey(u.benchmark, u.format, p.example_id, fingerprint, runSettings(options, u.mode)),
    ),
  );
  return { units, keys, fingerprint };
}

/** Tracks per-unit counts and reports them through the callback. */
function progressTracker(
  units: EvalUnit[],
  keys: string[][],
  cached: Map<string, ExampleResult>,
  onProgress?: ProgressCallback,
) {
  const cachedCounts = keys.map((ks) => ks.filter((k) => cached.has(k)).length);
  const done = [...cachedCounts];
  const report = (unit: number) =>
    onProgress?.({
      unit,
      benchmark: units[unit]!.benchmark,
      format: units[unit]!.format,
      mode: units[unit]!.mode,
      done: done[unit]!,
      total: units[unit]!.prompts.length,
      cached: cachedCounts[unit]!,
    });
  units.forEach((_, i) => report(i));
  return {
    cached: cachedCounts.reduce((a, b) => a + b, 0),
    add(unit: number, examples: number) {
      done[unit]! += examples;
      report(unit);
    },
  };
}

/**
 * Computes the results missing from the cache (all batches, or the shard's) and appends them to the
 * cache file. `onBatch` hears of each batch computed. The model is not loaded when nothing is missing.
 */
async function computeMissing(
  options: RunEvaluationOptions,
  { units, keys }: Prepared,
  cached: Map<string, ExampleResult>,
  shard: Shard | undefined,
  onBatch: (unit: number, examples: number) => void,
): Promise<void> {
  if (keys.every((ks) => ks.every((k) => cached.has(k)))) return;
  const cache = new ResultCacheWriter(join(options.out, cacheFileName(shard?.index)));
  const loaded = await options.load();
  try {
    const { model, tokenizer } = loaded;
    checkModelTokenizer(model, tokenizer);
    if (options.chatTemplate && loaded.chat === undefined)
      throw new EvalError(`${options.model} has no chat template to wrap the prompts in`, 'chatTemplate');
    const encoding = encodingFor(model, tokenizer, options.chatTemplate ? loaded.chat : undefined);
    let batchIndex = 0;
    for (const [unitIndex, u] of units.entries()) {
      const settings = runSettings(options, u.mode);
      const encoded = u.prompts.map((p, i) =>
        encodePrompt(p, keys[unitIndex]![i]!, encoding, settings.maxInputTokens),
      );
      for (const batch of planBatches(encoded, settings.batchSize)) {
        const mine = ownsBatch(shard, batchIndex);
        batchIndex += 1;
        const missing = batch.filter((p) => !cached.has(p.key));
        if (!mine || missing.length === 0) continue;
        await cache.append(await evaluateBatch(model, tokenizer, missing, settings, encoding));
        onBatch(unitIndex, missing.length);
      }
    }
  } finally {
    await loaded.close?.();
  }
}

/**
 * Evaluates a model on the benchmarks of a data directory into `options.out` and writes
 * `results.json`, `results.md` and `report.html` there. Bad names or data and a model/tokenizer
 * mismatch throw an {@link EvalError} (its `option` names the setting) before any example runs.
 */
export async function runEvaluation(options: RunEvaluationOptions): Promise<EvaluationRun> {
  const started = Date.now();
  const prepared = await prepare(options);
  await mkdir(options.out, { recursive: true });
  if (!options.resume) await clearResultCache(options.out);
  const cached = await readResultCache(options.out);
  const progress = progressTracker(prepared.units, prepared.keys, cached, options.onProgress);
  const workers = options.workers ?? 1;
  if (workers > 1) {
    if (options.workerCommand === undefined)
      throw new EvalError('more than one worker needs a workerCommand', 'workers');
    if (!prepared.keys.every((ks) => ks.every((k) => cached.has(k))))
      await runWorkerProcesses(workers, options.workerCommand, (unit, n) => progress.add(unit, n));
  } else await computeMissing(options, prepared, cached, undefined, (unit, n) => progress.add(unit, n));

  const all = await readResultCache(options.out);
  const results: ExampleResult[] = [];
  prepared.units.forEach((u, i) =>
    u.prompts.forEach((p, j) => {
      const r = all.get(prepared.keys[i]![j]!);
      if (r === undefined) throw new Error(`no result for ${u.benchmark} ${u.format} ${p.example_id}`);
      results.push(r);
    }),
  );
  const sc = options.selfConsistency;
  const json = buildResults(results, {
    model: {
      source: options.model,
      ...(options.adapter !== undefined ? { adapter: options.adapter } : {}),
      fingerprint: prepared.fingerprint,
    },
    data: {
      dir: options.data,
      mmluSplit: mmluEvalSplit(options.data),
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
    },
    settings: {
      mode: (options.modes ?? ['generate']).join(','),
      batchSize: options.batchSize ?? 8,
      ...(options.maxNewTokens !== undefined ? { maxNewTokens: options.maxNewTokens } : {}),
      maxInputTokens: options.maxInputTokens ?? DEFAULT_MAX_INPUT_TOKENS,
      ...(sc !== undefined
        ? { selfConsistency: { k: sc.k, temperature: sc.temperature, topK: sc.topK } }
        : {}),
      ...(options.backend !== undefined ? { backend: options.backend } : {}),
      workers,
      ...(options.chatTemplate ? { chatTemplate: true } : {}),
    },
    wallSeconds: (Date.now() - started) / 1000,
    cached: progress.cached,
  });
  const files = await writeResults(options.out, json);
  return { results: json, files, computed: results.length - progress.cached, cached: progress.cached };
}

/**
 * A worker's part of a run (`options` as the parent's, `shard` its share): computes the missing
 * results of every `shard.count`-th batch into its own cache file. Under a parent started by
 * {@link runEvaluation} it reports each batch and its error over the IPC channel.
 */
export async function runEvaluationShard(options: RunEvaluationOptions, shard: Shard): Promise<void> {
  try {
    const prepared = await prepare(options);
    await mkdir(options.out, { recursive: true });
    const cached = await readResultCache(options.out);
    await computeMissing(options, prepared, cached, shard, (unit, examples) =>
      tellParent({ type: 'batch', unit, examples }),
    );
  } catch (error) {
    if (error instanceof Error && (error.name === 'EvalError' || error.name === 'DataLineError'))
      tellParent({ type: 'error', message: error.message, ...optionOf(error) });
    throw error;
  }
}

const optionOf = (error: Error): { option?: string } => {
  const option = (error as EvalError).option;
  return option === undefined ? {} : { option };
};
