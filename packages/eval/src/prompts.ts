/** The prompt record every benchmark builder returns, and the benchmark / format names. */
import { EvalError } from './errors';

/** One model input, in the field order of `data/eval/prompts.jsonl`. */
export interface PromptRecord {
  benchmark: BenchmarkName;
  format: string;
  /** MMLU subject, BBH file name, MGSM / TyDiQA language. */
  task: string;
  /** `<subject>/test/<line>`, `<task>/<line>`, `<lang>/<line>` or the TyDiQA v1.1 id (lines from 0). */
  example_id: string;
  /** The exact model input (no eos). */
  prompt: string;
  /** `(B)` / `B` (MMLU), the data's target (BBH), `answer_number` (MGSM), the gold answers (TyDiQA). */
  target: string | number | string[];
  /** MMLU: the four option texts (for rank classification). */
  choices?: string[];
  /** TyDiQA: which record was the one-shot exemplar (`ar/0`, `train_sample/en/0`). */
  exemplar?: string;
}

export const BENCHMARK_NAMES = ['mmlu', 'bbh', 'tydiqa', 'mgsm'] as const;
export type BenchmarkName = (typeof BENCHMARK_NAMES)[number];

/** The formats of each benchmark, the first being the default. */
export const BENCHMARK_FORMATS: Record<BenchmarkName, readonly string[]> = {
  mmlu: ['direct', 'cot', 'direct_hendrycks'],
  bbh: ['direct', 'cot'],
  tydiqa: ['direct_1shot'],
  mgsm: ['native_cot'],
};

/** Checks a benchmark name, naming the known ones when it is not. */
export function checkBenchmark(name: string): BenchmarkName {
  if (!(BENCHMARK_NAMES as readonly string[]).includes(name))
    throw new EvalError(`unknown benchmark "${name}" (known: ${BENCHMARK_NAMES.join(', ')})`);
  return name as BenchmarkName;
}

/** Checks a format name for a benchmark. */
export function checkFormat(benchmark: BenchmarkName, format: string): string {
  const formats = BENCHMARK_FORMATS[benchmark];
  if (!formats.includes(format))
    throw new EvalError(`unknown format "${format}" for ${benchmark} (known: ${formats.join(', ')})`);
  return format;
}

/** Keeps the first `limit` items (all when `limit` is undefined). */
export function limited<T>(items: T[], limit: number | undefined): T[] {
  return limit === undefined ? items : items.slice(0, limit);
}
