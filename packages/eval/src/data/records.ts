/**
 * The benchmark records of the shared data (`data/README.md`), parsed from the text of their files
 * with every field checked, so a malformed line is reported by file and line before any model runs.
 * Browser-safe: callers read the files (see `@flan-ts/eval/node` for the Node loaders).
 */
import { DataLineError } from '../errors';
import { parseJsonl } from './jsonl';

// The record shapes are the templates package's (one definition for training and evaluation).
import type { BbhRecord, MgsmRecord, MmluRecord, TydiqaRecord } from '@flan-ts/templates';

export type { BbhRecord, MgsmRecord, MmluRecord, TydiqaRecord } from '@flan-ts/templates';

export interface MgsmExemplar {
  index: number;
  q: string;
  a: string;
  answer_number: number;
}

type Check = (value: unknown) => boolean;
const isString: Check = (v) => typeof v === 'string';
const isStrings: Check = (v) => Array.isArray(v) && v.every(isString);
const isInt: Check = (v) => Number.isInteger(v);

function parseChecked<T>(text: string, source: string, shape: Record<string, Check>): T[] {
  return parseJsonl(text, source).map(({ line, value }) => {
    for (const [name, ok] of Object.entries(shape)) {
      if (!(name in value)) throw new DataLineError(source, line, `missing field "${name}"`);
      if (!ok(value[name])) throw new DataLineError(source, line, `field "${name}" has the wrong type`);
    }
    return value as T;
  });
}

/** `mmlu/{dev,test}/<subject>.jsonl`. */
export function parseMmlu(text: string, source: string): MmluRecord[] {
  return parseChecked(text, source, {
    question: isString,
    choices: (v) => isStrings(v) && (v as string[]).length === 4,
    answer: (v) => v === 'A' || v === 'B' || v === 'C' || v === 'D',
    subject: isString,
  });
}

/** `bbh/<task>.jsonl`. */
export function parseBbh(text: string, source: string): BbhRecord[] {
  return parseChecked(text, source, { input: isString, target: isString });
}

/** `mgsm/<lang>.jsonl`. */
export function parseMgsm(text: string, source: string): MgsmRecord[] {
  return parseChecked(text, source, { question: isString, answer_number: isInt, answer_raw: isString });
}

/** `tydiqa/<lang>.jsonl` and `tydiqa/train_sample/<lang>.jsonl`. */
export function parseTydiqa(text: string, source: string): TydiqaRecord[] {
  return parseChecked(text, source, {
    id: isString,
    title: isString,
    context: isString,
    question: isString,
    answers: (v) => isStrings(v) && (v as string[]).length > 0,
    answer_starts: (v) => Array.isArray(v) && v.every(isInt),
  });
}

/** A whole-file JSON document, naming the file when it does not parse. */
export function parseJsonFile(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DataLineError(source, 1, `invalid JSON: ${(error as Error).message}`);
  }
}

/** `mgsm/exemplars.json` → the 8 exemplars of one language. */
export function parseMgsmExemplars(text: string, source: string, language: string): MgsmExemplar[] {
  const json = parseJsonFile(text, source) as { exemplars?: Record<string, unknown> };
  const list = json?.exemplars?.[language];
  if (!Array.isArray(list) || list.length === 0)
    throw new DataLineError(source, 1, `no exemplars for language "${language}"`);
  list.forEach((e: Record<string, unknown>, i) => {
    if (typeof e?.q !== 'string' || typeof e?.a !== 'string')
      throw new DataLineError(source, 1, `exemplars.${language}[${i}] needs string "q" and "a"`);
  });
  return list as MgsmExemplar[];
}

/** `mmlu/cot-prompts/mmlu-cot.json` → subject → prompt. */
export function parseMmluCotPrompts(text: string, source: string): Record<string, string> {
  const json = parseJsonFile(text, source);
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new DataLineError(source, 1, 'expected an object mapping subject to prompt');
  for (const [subject, prompt] of Object.entries(json))
    if (typeof prompt !== 'string')
      throw new DataLineError(source, 1, `prompt of "${subject}" is not a string`);
  return json as Record<string, string>;
}
