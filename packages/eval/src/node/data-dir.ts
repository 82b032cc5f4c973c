/**
 * Node loaders for a benchmark data directory laid out as the shared data (`data/README.md`):
 * `mmlu/{dev,test}/<subject>.jsonl`, `bbh/<task>.jsonl` + `bbh/cot-prompts/<task>.txt`,
 * `mgsm/<lang>.jsonl` + `mgsm/exemplars.json`, `tydiqa/<lang>.jsonl` (+ `train_sample/`).
 * Files are read whole and handed to the browser-safe parsers and builders of the root entry.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bbhPrompts, bbhTaskChance, type BbhFormat } from '../benchmarks/bbh';
import { mgsmPrompts } from '../benchmarks/mgsm';
import { mmluPrompts, type MmluFormat } from '../benchmarks/mmlu';
import { tydiqaPrompts } from '../benchmarks/tydiqa';
import {
  parseBbh,
  parseMgsm,
  parseMgsmExemplars,
  parseMmlu,
  parseMmluCotPrompts,
  parseTydiqa,
  type BbhRecord,
} from '../data/records';
import { EvalError } from '../errors';
import { checkBenchmark, checkFormat, type PromptRecord } from '../prompts';

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new EvalError(
      `cannot read ${path}${code === 'ENOENT' ? ': no such file' : `: ${(error as Error).message}`}`,
    );
  }
}

/** The `.jsonl` file names (without extension) of a folder, sorted. */
async function jsonlNames(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    throw new EvalError(`cannot read the folder ${dir}: no such folder`);
  }
  return names
    .filter((n) => n.endsWith('.jsonl'))
    .map((n) => n.slice(0, -'.jsonl'.length))
    .sort();
}

/** The MMLU split the data directory has for evaluation: `val` when present (the paper's), else `test`. */
export function mmluEvalSplit(dataDir: string): 'val' | 'test' {
  return existsSync(join(dataDir, 'mmlu', 'val')) ? 'val' : 'test';
}

/** The tasks of a benchmark in a data directory (MMLU subjects, BBH files, languages), sorted. */
export async function listTasks(dataDir: string, benchmark: string): Promise<string[]> {
  switch (checkBenchmark(benchmark)) {
    case 'mmlu':
      return jsonlNames(join(dataDir, 'mmlu', mmluEvalSplit(dataDir)));
    case 'bbh':
      return jsonlNames(join(dataDir, 'bbh'));
    case 'mgsm':
      return jsonlNames(join(dataDir, 'mgsm'));
    case 'tydiqa':
      return jsonlNames(join(dataDir, 'tydiqa'));
  }
}

export interface LoadPromptsOptions {
  /** Only this task (subject, BBH file, language). */
  task?: string;
  /** At most this many examples per task. */
  limit?: number;
}

/** Reads a `.jsonl` file of the data directory and parses it, naming the file relative to `dataDir`. */
async function readRecords<T>(
  dataDir: string,
  relative: string,
  parse: (text: string, source: string) => T[],
): Promise<T[]> {
  return parse(await readText(join(dataDir, relative)), join(dataDir, relative));
}

let mmluCotCache: { dir: string; prompts: Record<string, string> } | undefined;

async function mmluCotPrompts(dataDir: string): Promise<Record<string, string>> {
  if (mmluCotCache?.dir !== dataDir) {
    const path = join(dataDir, 'mmlu', 'cot-prompts', 'mmlu-cot.json');
    mmluCotCache = { dir: dataDir, prompts: parseMmluCotPrompts(await readText(path), path) };
  }
  return mmluCotCache.prompts;
}

/** Prompt records of one task. */
export async function loadTaskPrompts(
  dataDir: string,
  benchmark: string,
  format: string,
  task: string,
  limit?: number,
): Promise<PromptRecord[]> {
  const name = checkBenchmark(benchmark);
  checkFormat(name, format);
  switch (name) {
    case 'mmlu': {
      const split = mmluEvalSplit(dataDir);
      const test = await readRecords(dataDir, join('mmlu', split, `${task}.jsonl`), parseMmlu);
      const dev = await readRecords(dataDir, join('mmlu', 'dev', `${task}.jsonl`), parseMmlu);
      const cotPrompt = format === 'cot' ? (await mmluCotPrompts(dataDir))[task] : undefined;
      if (format === 'cot' && cotPrompt === undefined)
        throw new EvalError(`mmlu-cot.json has no prompt for subject "${task}"`);
      const records = mmluPrompts({ subject: task, dev, test, cotPrompt }, format as MmluFormat, limit);
      // The example id names the split actually evaluated.
      return split === 'test'
        ? records
        : records.map((r) => ({ ...r, example_id: r.example_id.replace('/test/', `/${split}/`) }));
    }
    case 'bbh': {
      const records = await readRecords(dataDir, join('bbh', `${task}.jsonl`), parseBbh);
      const cotPromptFile = await readText(join(dataDir, 'bbh', 'cot-prompts', `${task}.txt`));
      return bbhPrompts({ task, records, cotPromptFile }, format as BbhFormat, limit);
    }
    case 'mgsm': {
      const records = await readRecords(dataDir, join('mgsm', `${task}.jsonl`), parseMgsm);
      const path = join(dataDir, 'mgsm', 'exemplars.json');
      const exemplars = parseMgsmExemplars(await readText(path), path, task);
      return mgsmPrompts({ language: task, records, exemplars }, limit);
    }
    case 'tydiqa': {
      const records = await readRecords(dataDir, join('tydiqa', `${task}.jsonl`), parseTydiqa);
      const samplePath = join(dataDir, 'tydiqa', 'train_sample', `${task}.jsonl`);
      const trainSample = existsSync(samplePath)
        ? parseTydiqa(await readText(samplePath), samplePath)
        : undefined;
      return tydiqaPrompts({ language: task, records, trainSample }, limit);
    }
  }
}

/** Prompt records of a benchmark and format: every task (or `options.task`), in task order. */
export async function loadPrompts(
  dataDir: string,
  benchmark: string,
  format: string,
  options: LoadPromptsOptions = {},
): Promise<PromptRecord[]> {
  const name = checkBenchmark(benchmark);
  checkFormat(name, format);
  const tasks = await listTasks(dataDir, name);
  if (options.task !== undefined && !tasks.includes(options.task))
    throw new EvalError(`unknown ${name} task "${options.task}" in ${dataDir}`);
  const out: PromptRecord[] = [];
  for (const task of options.task !== undefined ? [options.task] : tasks)
    out.push(...(await loadTaskPrompts(dataDir, name, format, task, options.limit)));
  return out;
}

/** The BBH files of a data directory with their records (for chance levels). */
export async function loadBbhRecords(dataDir: string): Promise<Map<string, BbhRecord[]>> {
  const out = new Map<string, BbhRecord[]>();
  for (const task of await listTasks(dataDir, 'bbh'))
    out.set(task, await readRecords(dataDir, join('bbh', `${task}.jsonl`), parseBbh));
  return out;
}

/** Per-task BBH chance (%) computed from the data directory. */
export async function loadBbhChance(dataDir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [task, records] of await loadBbhRecords(dataDir)) out[task] = bbhTaskChance(records);
  return out;
}
