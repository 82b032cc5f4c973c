/**
 * `results.json`: every number of a run (Table 5 columns, normalized average, per-benchmark and
 * per-task scores) with what produced it (model fingerprint, data split, settings) and timings.
 */
import type { ExampleResult } from './evaluate';
import { aggregate, table5, type BenchmarkScore } from './report';

/** The run's description, as `results.json` records it. */
export interface ResultsContext {
  model: { source: string; adapter?: string; fingerprint: string };
  data: { dir: string; mmluSplit: string; limit?: number };
  settings: {
    /** The answer modes as requested, e.g. `generate,rank`. */
    mode: string;
    batchSize: number;
    maxNewTokens?: number;
    maxInputTokens: number;
    selfConsistency?: { k: number; temperature: number; topK: number };
    backend?: string;
    workers: number;
    chatTemplate?: boolean;
  };
  wallSeconds: number;
  /** Results read from the cache instead of computed. */
  cached: number;
}

/** The content of `results.json` (keys in the order the file has them). */
export interface EvaluationResults {
  model: { source: string; adapter: string | null; fingerprint: string };
  data: { dir: string; mmlu_split: string; limit_per_task: number | null };
  settings: {
    mode: string;
    batch_size: number;
    max_new_tokens: number | 'per format';
    max_input_tokens: number;
    self_consistency: number | null;
    temperature: number | null;
    top_k: number | null;
    backend: string | null;
    workers: number;
    /** Prompts wrapped in the model's chat template (decoder-only models). */
    chat_template: boolean;
  };
  table5: ReturnType<typeof table5>;
  benchmarks: BenchmarkScore[];
  truncated: number;
  timings: { wall_s: number; examples: number; computed: number; cached: number };
}

export function buildResults(results: readonly ExampleResult[], context: ResultsContext): EvaluationResults {
  const scores = aggregate(results);
  const sc = context.settings.selfConsistency;
  return {
    model: {
      source: context.model.source,
      adapter: context.model.adapter ?? null,
      fingerprint: context.model.fingerprint,
    },
    data: {
      dir: context.data.dir,
      mmlu_split: context.data.mmluSplit,
      limit_per_task: context.data.limit ?? null,
    },
    settings: {
      mode: context.settings.mode,
      batch_size: context.settings.batchSize,
      max_new_tokens: context.settings.maxNewTokens ?? 'per format',
      max_input_tokens: context.settings.maxInputTokens,
      self_consistency: sc?.k ?? null,
      temperature: sc?.temperature ?? null,
      top_k: sc?.topK ?? null,
      backend: context.settings.backend ?? null,
      workers: context.settings.workers,
      chat_template: context.settings.chatTemplate ?? false,
    },
    table5: table5(scores),
    benchmarks: scores,
    truncated: results.filter((r) => r.truncated).length,
    timings: {
      wall_s: context.wallSeconds,
      examples: results.length,
      computed: results.length - context.cached,
      cached: context.cached,
    },
  };
}
