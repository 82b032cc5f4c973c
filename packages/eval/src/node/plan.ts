/**
 * The plan of an evaluation run: which benchmark × format × answer mode units run, each with its
 * prompt records. Every name is checked and every prompt built (so every data file read) here,
 * before any model time is spent.
 */
import { EvalError } from '../errors';
import { BENCHMARK_FORMATS, checkBenchmark, type BenchmarkName, type PromptRecord } from '../prompts';
import { rankable, type AnswerMode } from '../run/settings';
import { listTasks, loadTaskPrompts } from './data-dir';

/** One benchmark × format × answer mode with its prompts. */
export interface EvalUnit {
  benchmark: BenchmarkName;
  format: string;
  mode: AnswerMode;
  prompts: PromptRecord[];
}

/** What to evaluate: names as `flan eval run` takes them. */
export interface PlanOptions {
  /** Benchmark data directory (`mmlu/`, `bbh/`, `mgsm/`, `tydiqa/`). */
  data: string;
  /** Default: all four. */
  benchmarks?: readonly string[];
  /** `direct` / `cot` (mapped to each benchmark's own names) or a benchmark format such as `direct_hendrycks`. Default both. */
  formats?: readonly string[];
  /** `generate` (the paper), `rank` (MMLU direct: score each option), or both. Default `generate`. */
  modes?: readonly string[];
  /** Only these tasks (MMLU subjects, BBH files, languages). */
  tasks?: readonly string[];
  /** At most this many examples per task. */
  limit?: number;
}

/** `direct` / `cot` as the issue names them, or a benchmark's own format names. */
function formatsFor(benchmark: BenchmarkName, requested: readonly string[]): string[] {
  const known = BENCHMARK_FORMATS[benchmark];
  const out = new Set<string>();
  for (const f of requested) {
    if (known.includes(f)) out.add(f);
    else if (f === 'direct' && benchmark === 'tydiqa') out.add('direct_1shot');
    else if (f === 'cot' && benchmark === 'mgsm') out.add('native_cot');
  }
  return [...out];
}

/** Checks the names (throwing an {@link EvalError} naming the option) and builds every prompt. */
export async function planEvaluation(options: PlanOptions): Promise<EvalUnit[]> {
  const benchmarks = (options.benchmarks ?? ['mmlu', 'bbh', 'tydiqa', 'mgsm']).map((b) =>
    checkBenchmark(b.trim()),
  );
  const requested = (options.formats ?? ['direct', 'cot']).map((f) => f.trim());
  const allFormats = new Set(['direct', 'cot', ...Object.values(BENCHMARK_FORMATS).flat()]);
  for (const f of requested) if (!allFormats.has(f)) throw new EvalError(`unknown format "${f}"`, 'formats');
  const modes = (options.modes ?? ['generate']).map((m) => m.trim());
  for (const m of modes)
    if (m !== 'generate' && m !== 'rank')
      throw new EvalError(`must be generate, rank or both, got "${m}"`, 'mode');
  const wanted = options.tasks?.map((t) => t.trim());
  const taskLists = new Map<BenchmarkName, string[]>();
  for (const benchmark of benchmarks) {
    const all = await listTasks(options.data, benchmark);
    taskLists.set(benchmark, wanted === undefined ? all : all.filter((t) => wanted.includes(t)));
  }
  for (const t of wanted ?? [])
    if (![...taskLists.values()].some((ts) => ts.includes(t)))
      throw new EvalError(`"${t}" is not a task of ${benchmarks.join(', ')} in ${options.data}`, 'tasks');
  const units: EvalUnit[] = [];
  for (const benchmark of benchmarks)
    for (const format of formatsFor(benchmark, requested)) {
      const prompts: PromptRecord[] = [];
      for (const task of taskLists.get(benchmark)!)
        prompts.push(...(await loadTaskPrompts(options.data, benchmark, format, task, options.limit)));
      if (prompts.length === 0) continue;
      for (const mode of modes as AnswerMode[]) {
        // Rank classification needs options (MMLU's direct formats); elsewhere generation answers.
        if (mode === 'rank' && !rankable(benchmark, format)) {
          if (!modes.includes('generate')) units.push({ benchmark, format, mode: 'generate', prompts });
          continue;
        }
        units.push({ benchmark, format, mode, prompts });
      }
    }
  return units;
}
