/**
 * Loaders for the held-out benchmark files of the shared data (`data/README.md`): each streams a
 * JSONL file and checks every record's fields, naming file and line when one is wrong.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataLineError } from '../errors';
import type { SourceRecord } from '../data/source';
import { fileSource } from './file-source';

import type { BbhRecord, MgsmRecord, MmluRecord, TydiqaRecord } from '../data/benchmark-records';

export type { BbhRecord, MgsmRecord, MmluRecord, TydiqaRecord } from '../data/benchmark-records';

type Check = (value: unknown) => boolean;
const isString: Check = (v) => typeof v === 'string';
const isStrings: Check = (v) => Array.isArray(v) && v.every(isString);
const isInts: Check = (v) => Array.isArray(v) && v.every((x) => Number.isInteger(x));

async function* checked<T>(path: string, shape: Record<string, Check>): AsyncGenerator<T> {
  for await (const record of fileSource(path, { format: 'jsonl' }).open()) {
    check(record, shape);
    yield record.value as T;
  }
}

function check(record: SourceRecord, shape: Record<string, Check>): void {
  for (const [name, ok] of Object.entries(shape)) {
    if (!(name in record.value))
      throw new DataLineError(record.source, record.line, `missing field "${name}"`);
    if (!ok(record.value[name]))
      throw new DataLineError(record.source, record.line, `field "${name}" has the wrong type`);
  }
}

/** `mmlu/<split>/<subject>.jsonl` under the shared data folder. */
export function mmluRecords(
  dataRoot: string,
  subject: string,
  split: 'test' | 'dev',
): AsyncGenerator<MmluRecord> {
  return checked(join(dataRoot, 'mmlu', split, `${subject}.jsonl`), {
    question: isString,
    choices: (v) => isStrings(v) && (v as string[]).length === 4,
    answer: (v) => v === 'A' || v === 'B' || v === 'C' || v === 'D',
    subject: isString,
  });
}

/** `bbh/<task>.jsonl`. */
export function bbhRecords(dataRoot: string, task: string): AsyncGenerator<BbhRecord> {
  return checked(join(dataRoot, 'bbh', `${task}.jsonl`), { input: isString, target: isString });
}

/** `bbh/cot-prompts/<task>.txt` without its two canary lines (header, blank line and 3 exemplars). */
export async function bbhCotPrompt(dataRoot: string, task: string): Promise<string> {
  const path = join(dataRoot, 'bbh', 'cot-prompts', `${task}.txt`);
  const text = await readFile(path, 'utf8');
  const marker = text.indexOf('\n-----\n');
  if (marker < 0) throw new DataLineError(path, 1, 'expected the canary line and a "-----" line');
  return text.slice(marker + '\n-----\n'.length);
}

/** `mgsm/<lang>.jsonl`. */
export function mgsmRecords(dataRoot: string, language: string): AsyncGenerator<MgsmRecord> {
  return checked(join(dataRoot, 'mgsm', `${language}.jsonl`), {
    question: isString,
    answer_number: (v) => Number.isInteger(v),
    answer_raw: isString,
  });
}

/** `tydiqa/<lang>.jsonl` (or `tydiqa/train_sample/<lang>.jsonl` with `trainSample`). */
export function tydiqaRecords(
  dataRoot: string,
  language: string,
  trainSample = false,
): AsyncGenerator<TydiqaRecord> {
  const dir = trainSample ? join(dataRoot, 'tydiqa', 'train_sample') : join(dataRoot, 'tydiqa');
  return checked(join(dir, `${language}.jsonl`), {
    id: isString,
    title: isString,
    context: isString,
    question: isString,
    answers: isStrings,
    answer_starts: isInts,
  });
}

export interface MgsmExemplar {
  index: number;
  q: string;
  a: string;
  answer_number: number;
}

/** `mgsm/exemplars.json` → the 8 exemplars of one language. */
export async function mgsmExemplars(dataRoot: string, language: string): Promise<MgsmExemplar[]> {
  const path = join(dataRoot, 'mgsm', 'exemplars.json');
  const json = JSON.parse(await readFile(path, 'utf8')) as { exemplars?: Record<string, MgsmExemplar[]> };
  const list = json.exemplars?.[language];
  if (!Array.isArray(list)) throw new DataLineError(path, 0, `no exemplars for language "${language}"`);
  return list;
}
