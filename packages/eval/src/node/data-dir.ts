/**
 * Node loaders for a benchmark data directory laid out as the shared data (`data/README.md`):
 * `mmlu/{dev,test}/<subject>.jsonl`, `bbh/<task>.jsonl` + `bbh/cot-prompts/<task>.txt`,
 * `mgsm/<lang>.jsonl` + `mgsm/exemplars.json`, `tydiqa/<lang>.jsonl` (+ `train_sample/`).
 * The folder is a {@link DataSource} for the browser-safe loaders of `../data/data-dir`.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bbhTaskChance } from '../benchmarks/bbh';
import {
  listTasksIn,
  loadBbhRecordsFrom,
  loadPromptsFrom,
  loadTaskPromptsFrom,
  type LoadPromptsOptions,
} from '../data/data-dir';
import type { BbhRecord } from '../data/records';
import type { DataSource } from '../data/source';
import { EvalError } from '../errors';
import type { PromptRecord } from '../prompts';

export type { LoadPromptsOptions } from '../data/data-dir';

function folderSource(dataDir: string): DataSource {
  return {
    name: dataDir,
    where: (relativePath) => join(dataDir, relativePath),
    async readText(relativePath) {
      const path = join(dataDir, relativePath);
      try {
        return await readFile(path, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new EvalError(
          `cannot read ${path}${code === 'ENOENT' ? ': no such file' : `: ${(error as Error).message}`}`,
        );
      }
    },
    exists: async (relativePath) => existsSync(join(dataDir, relativePath)),
    async list(relativeDir) {
      const dir = join(dataDir, relativeDir);
      try {
        return await readdir(dir);
      } catch {
        throw new EvalError(`cannot read the folder ${dir}: no such folder`);
      }
    },
  };
}

// One source per folder, so what the loaders cache per source (mmlu-cot.json) lasts across calls.
const sources = new Map<string, DataSource>();

/** A data directory on disk as a {@link DataSource} (for the root entry's `*From` loaders). */
export function directorySource(dataDir: string): DataSource {
  let source = sources.get(dataDir);
  if (source === undefined) sources.set(dataDir, (source = folderSource(dataDir)));
  return source;
}

/** The MMLU split the data directory has for evaluation: `val` when present (the paper's), else `test`. */
export function mmluEvalSplit(dataDir: string): 'val' | 'test' {
  return existsSync(join(dataDir, 'mmlu', 'val')) ? 'val' : 'test';
}

/** The tasks of a benchmark in a data directory (MMLU subjects, BBH files, languages), sorted. */
export function listTasks(dataDir: string, benchmark: string): Promise<string[]> {
  return listTasksIn(directorySource(dataDir), benchmark);
}

/** Prompt records of one task. */
export function loadTaskPrompts(
  dataDir: string,
  benchmark: string,
  format: string,
  task: string,
  limit?: number,
): Promise<PromptRecord[]> {
  return loadTaskPromptsFrom(directorySource(dataDir), benchmark, format, task, limit);
}

/** Prompt records of a benchmark and format: every task (or `options.task`), in task order. */
export function loadPrompts(
  dataDir: string,
  benchmark: string,
  format: string,
  options: LoadPromptsOptions = {},
): Promise<PromptRecord[]> {
  return loadPromptsFrom(directorySource(dataDir), benchmark, format, options);
}

/** The BBH files of a data directory with their records (for chance levels). */
export function loadBbhRecords(dataDir: string): Promise<Map<string, BbhRecord[]>> {
  return loadBbhRecordsFrom(directorySource(dataDir));
}

/** Per-task BBH chance (%) computed from the data directory. */
export async function loadBbhChance(dataDir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [task, records] of await loadBbhRecords(dataDir)) out[task] = bbhTaskChance(records);
  return out;
}
