/**
 * BIG-Bench Hard prompts (`data/eval/README.md` §1): `cot` is the published CoT prompt file without
 * its canary lines, followed by the question; `direct` is derived from the same file by replacing
 * each rationale with the answer only (what lm-evaluation-harness's `bbh_fewshot` does).
 */
import type { BbhRecord } from '../data/records';
import { DataLineError } from '../errors';
import { limited, type PromptRecord } from '../prompts';

export interface BbhTaskData {
  /** The file name, e.g. `logical_deduction_five_objects` (27 subtasks). */
  task: string;
  records: readonly BbhRecord[];
  /** `bbh/cot-prompts/<task>.txt` as published (canary included). */
  cotPromptFile: string;
}

export const BBH_FORMATS = ['direct', 'cot'] as const;
export type BbhFormat = (typeof BBH_FORMATS)[number];

const COT_TRIGGER = "A: Let's think step by step.";

/**
 * Drops line 1 (the canary) and line 2 (`-----`), leaving header, blank line and the 3 exemplars.
 * `source` names the file in the error when the two lines are not there.
 */
export function stripCanary(promptFile: string, source = 'cot prompt'): string {
  const lines = promptFile.split('\n');
  if (!lines[0]?.includes('BENCHMARK DATA SHOULD NEVER APPEAR') || lines[1] !== '-----')
    throw new DataLineError(source, 1, 'expected the canary line and a "-----" line');
  return lines.slice(2).join('\n');
}

/** One exemplar of a CoT prompt file: the question and the final answer (without its period). */
export interface BbhExemplar {
  question: string;
  answer: string;
}

/** Splits a canary-stripped prompt into its header (possibly several paragraphs) and exemplars. */
export function parseBbhCotPrompt(
  stripped: string,
  source = 'cot prompt',
): { header: string; exemplars: BbhExemplar[] } {
  const [header, ...blocks] = stripped.split('\n\nQ: ');
  const exemplars = blocks.map((block, i) => {
    const at = block.indexOf(`\n${COT_TRIGGER}`);
    const marker = block.lastIndexOf(' So the answer is ');
    if (at < 0 || marker < 0 || !block.endsWith('.'))
      throw new DataLineError(
        source,
        1,
        `exemplar ${i + 1} is not "Q: …\\n${COT_TRIGGER} … So the answer is X."`,
      );
    return {
      question: block.slice(0, at),
      answer: block.slice(marker + ' So the answer is '.length, -1),
    };
  });
  return { header: header!, exemplars };
}

/** The direct (answer-only) 3-shot prefix: header, then `Q: {q}\nA: {answer}` blocks. */
export function bbhDirectPrefix(stripped: string, source?: string): string {
  const { header, exemplars } = parseBbhCotPrompt(stripped, source);
  return [header, ...exemplars.map((e) => `Q: ${e.question}\nA: ${e.answer}`)].join('\n\n');
}

/** The model input of one question. `prefix` is the canary-stripped text (cot) or {@link bbhDirectPrefix}. */
export function bbhPrompt(prefix: string, input: string, format: BbhFormat): string {
  return format === 'cot' ? `${prefix}\n\nQ: ${input}\n${COT_TRIGGER}` : `${prefix}\n\nQ: ${input}\nA:`;
}

/** Every example of a BBH file (or the first `limit`) as prompt records. */
export function bbhPrompts(data: BbhTaskData, format: BbhFormat, limit?: number): PromptRecord[] {
  const source = `bbh/cot-prompts/${data.task}.txt`;
  const stripped = stripCanary(data.cotPromptFile, source);
  const prefix = format === 'cot' ? stripped : bbhDirectPrefix(stripped, source);
  return limited([...data.records], limit).map((record, line) => ({
    benchmark: 'bbh',
    format,
    task: data.task,
    example_id: `${data.task}/${line}`,
    prompt: bbhPrompt(prefix, record.input, format),
    target: record.target,
  }));
}

/** Chance accuracy (%) of one example: 100 / the number of `(X)` options, else 50 (binary) or 0. */
export function bbhExampleChance(input: string, binaryTask: boolean): number {
  const letters = new Set([...input.matchAll(/^\(([A-Z])\)/gm)].map((m) => m[1]));
  if (letters.size > 0) return 100 / letters.size;
  return binaryTask ? 50 : 0;
}

/**
 * Chance accuracy (%) of a BBH file, from its data: the mean over examples of 100 / the number of
 * `(X)` options in the input; tasks without options are binary (two distinct targets: 50) or
 * free-form (0).
 */
export function bbhTaskChance(records: readonly BbhRecord[]): number {
  const binary = new Set(records.map((r) => r.target)).size === 2;
  let sum = 0;
  for (const r of records) sum += bbhExampleChance(r.input, binary);
  return records.length === 0 ? 0 : sum / records.length;
}
