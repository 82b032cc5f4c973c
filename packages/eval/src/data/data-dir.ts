/**
 * Loaders of a benchmark data directory laid out as the shared data (`data/README.md`), over any
 * {@link DataSource}: `mmlu/{dev,test}/<subject>.jsonl` (+ `mmlu/val/` when present),
 * `bbh/<task>.jsonl` + `bbh/cot-prompts/<task>.txt`, `mgsm/<lang>.jsonl` + `mgsm/exemplars.json`,
 * `tydiqa/<lang>.jsonl` (+ `tydiqa/train_sample/`). Browser-safe; `@flan-ts/eval/node` passes a
 * folder on disk.
 */
import { bbhPrompts, type BbhFormat } from '../benchmarks/bbh';
import { MGSM_LANGUAGES, mgsmPrompts } from '../benchmarks/mgsm';
import { mmluPrompts, type MmluFormat } from '../benchmarks/mmlu';
import { TYDIQA_LANGUAGES, tydiqaPrompts } from '../benchmarks/tydiqa';
import { EvalError } from '../errors';
import { checkBenchmark, checkFormat, type BenchmarkName, type PromptRecord } from '../prompts';
import {
  parseBbh,
  parseMgsm,
  parseMgsmExemplars,
  parseMmlu,
  parseMmluCotPrompts,
  parseTydiqa,
  type BbhRecord,
} from './records';
import type { DataSource } from './source';
import { BBH_TASKS, MMLU_SUBJECTS } from './tasks';

/** The task names of the data layout, for sources that cannot list a folder. */
const KNOWN_TASKS: Record<BenchmarkName, readonly string[]> = {
  mmlu: MMLU_SUBJECTS,
  bbh: BBH_TASKS,
  mgsm: MGSM_LANGUAGES,
  tydiqa: TYDIQA_LANGUAGES,
};

/** The `.jsonl` file names (without extension) of a folder, sorted. */
async function jsonlNames(source: DataSource, dir: string, benchmark: BenchmarkName): Promise<string[]> {
  if (source.list === undefined) return [...KNOWN_TASKS[benchmark]];
  return (await source.list(dir))
    .filter((n) => n.endsWith('.jsonl'))
    .map((n) => n.slice(0, -'.jsonl'.length))
    .sort();
}

/** The MMLU split a data source has for evaluation: `val` when present (the paper's), else `test`. */
export async function mmluEvalSplitOf(source: DataSource): Promise<'val' | 'test'> {
  // Over HTTP a folder cannot be asked for; its first subject's file stands for it.
  const probe = source.list === undefined ? `mmlu/val/${MMLU_SUBJECTS[0]}.jsonl` : 'mmlu/val';
  return (await source.exists(probe)) ? 'val' : 'test';
}

/** The tasks of a benchmark in a data source (MMLU subjects, BBH files, languages), sorted. */
export async function listTasksIn(source: DataSource, benchmark: string): Promise<string[]> {
  const name = checkBenchmark(benchmark);
  const dir = name === 'mmlu' ? `mmlu/${await mmluEvalSplitOf(source)}` : name;
  return jsonlNames(source, dir, name);
}

async function readRecords<T>(
  source: DataSource,
  relative: string,
  parse: (text: string, where: string) => T[],
): Promise<T[]> {
  return parse(await source.readText(relative), source.where(relative));
}

// One parse of mmlu-cot.json per source (57 subjects share it).
const mmluCotCache = new WeakMap<DataSource, Promise<Record<string, string>>>();

function mmluCotPrompts(source: DataSource): Promise<Record<string, string>> {
  let prompts = mmluCotCache.get(source);
  if (prompts === undefined) {
    const path = 'mmlu/cot-prompts/mmlu-cot.json';
    prompts = source.readText(path).then((text) => parseMmluCotPrompts(text, source.where(path)));
    mmluCotCache.set(source, prompts);
    prompts.catch(() => mmluCotCache.delete(source));
  }
  return prompts;
}

/** One task's prompt records and how many examples its data file has. */
export interface TaskPrompts {
  prompts: PromptRecord[];
  /** The examples of the task's evaluation file (before `limit`). */
  size: number;
}

/** Prompt records of one task (the first `limit`), with the size of its data. */
export async function loadTaskData(
  source: DataSource,
  benchmark: string,
  format: string,
  task: string,
  limit?: number,
): Promise<TaskPrompts> {
  const name = checkBenchmark(benchmark);
  checkFormat(name, format);
  switch (name) {
    case 'mmlu': {
      const split = await mmluEvalSplitOf(source);
      const test = await readRecords(source, `mmlu/${split}/${task}.jsonl`, parseMmlu);
      const dev = await readRecords(source, `mmlu/dev/${task}.jsonl`, parseMmlu);
      const cotPrompt = format === 'cot' ? (await mmluCotPrompts(source))[task] : undefined;
      if (format === 'cot' && cotPrompt === undefined)
        throw new EvalError(`mmlu-cot.json has no prompt for subject "${task}"`);
      const records = mmluPrompts({ subject: task, dev, test, cotPrompt }, format as MmluFormat, limit);
      // The example id names the split actually evaluated.
      const prompts =
        split === 'test'
          ? records
          : records.map((r) => ({ ...r, example_id: r.example_id.replace('/test/', `/${split}/`) }));
      return { prompts, size: test.length };
    }
    case 'bbh': {
      const records = await readRecords(source, `bbh/${task}.jsonl`, parseBbh);
      const cotPromptFile = await source.readText(`bbh/cot-prompts/${task}.txt`);
      return {
        prompts: bbhPrompts({ task, records, cotPromptFile }, format as BbhFormat, limit),
        size: records.length,
      };
    }
    case 'mgsm': {
      const records = await readRecords(source, `mgsm/${task}.jsonl`, parseMgsm);
      const path = 'mgsm/exemplars.json';
      const exemplars = parseMgsmExemplars(await source.readText(path), source.where(path), task);
      return { prompts: mgsmPrompts({ language: task, records, exemplars }, limit), size: records.length };
    }
    case 'tydiqa': {
      const records = await readRecords(source, `tydiqa/${task}.jsonl`, parseTydiqa);
      const samplePath = `tydiqa/train_sample/${task}.jsonl`;
      const trainSample = (await source.exists(samplePath))
        ? await readRecords(source, samplePath, parseTydiqa)
        : undefined;
      return {
        prompts: tydiqaPrompts({ language: task, records, trainSample }, limit),
        size: records.length,
      };
    }
  }
}

/** Prompt records of one task (the first `limit`). */
export async function loadTaskPromptsFrom(
  source: DataSource,
  benchmark: string,
  format: string,
  task: string,
  limit?: number,
): Promise<PromptRecord[]> {
  return (await loadTaskData(source, benchmark, format, task, limit)).prompts;
}

export interface LoadPromptsOptions {
  /** Only this task (subject, BBH file, language). */
  task?: string;
  /** At most this many examples per task. */
  limit?: number;
}

/** The tasks asked for, checked against the source's; all of them when `tasks` is undefined or empty. */
async function chosenTasks(
  source: DataSource,
  name: BenchmarkName,
  tasks?: readonly string[],
): Promise<string[]> {
  const known = await listTasksIn(source, name);
  if (tasks === undefined || tasks.length === 0) return known;
  for (const task of tasks)
    if (!known.includes(task)) throw new EvalError(`unknown ${name} task "${task}" in ${source.name}`);
  return [...tasks];
}

/** Prompt records of a benchmark and format: every task (or `options.task`), in task order. */
export async function loadPromptsFrom(
  source: DataSource,
  benchmark: string,
  format: string,
  options: LoadPromptsOptions = {},
): Promise<PromptRecord[]> {
  const name = checkBenchmark(benchmark);
  checkFormat(name, format);
  const out: PromptRecord[] = [];
  for (const task of await chosenTasks(source, name, options.task === undefined ? undefined : [options.task]))
    out.push(...(await loadTaskPromptsFrom(source, name, format, task, options.limit)));
  return out;
}

/** One benchmark of an evaluation: its format, tasks (none: all) and examples per task. */
export interface BenchmarkChoice {
  benchmark: string;
  format: string;
  tasks?: readonly string[];
  limit?: number;
}

/** What {@link loadEvaluationData} read: the prompts in choice and task order, and each task's size. */
export interface EvaluationData {
  prompts: PromptRecord[];
  /** `sizes[benchmark][task]`: the examples in the task's data file. */
  sizes: Record<string, Record<string, number>>;
}

/** The prompt records of several benchmarks (as a page evaluates them), with the data sizes to show. */
export async function loadEvaluationData(
  source: DataSource,
  choices: readonly BenchmarkChoice[],
): Promise<EvaluationData> {
  const prompts: PromptRecord[] = [];
  const sizes: Record<string, Record<string, number>> = {};
  for (const choice of choices) {
    const name = checkBenchmark(choice.benchmark);
    checkFormat(name, choice.format);
    const bySize: Record<string, number> = (sizes[name] ??= {});
    for (const task of await chosenTasks(source, name, choice.tasks)) {
      const data = await loadTaskData(source, name, choice.format, task, choice.limit);
      prompts.push(...data.prompts);
      bySize[task] = data.size;
    }
  }
  return { prompts, sizes };
}

/** The BBH files of a data source with their records (for chance levels). */
export async function loadBbhRecordsFrom(source: DataSource): Promise<Map<string, BbhRecord[]>> {
  const out = new Map<string, BbhRecord[]>();
  for (const task of await listTasksIn(source, 'bbh'))
    out.set(task, await readRecords(source, `bbh/${task}.jsonl`, parseBbh));
  return out;
}
