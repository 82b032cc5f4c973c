/**
 * MMLU prompts (`data/eval/README.md` §1): `direct` (the flan-2 `Q:` / `(A) …` layout, answer only,
 * 5 dev exemplars in file order), `cot` (the flan-2 CoT prompt verbatim) and `direct_hendrycks` (the
 * MMLU authors' `evaluate_flan.py` format byte for byte).
 */
import type { MmluRecord } from '../data/records';
import { EvalError } from '../errors';
import { limited, type PromptRecord } from '../prompts';
import { pyStrip } from '../python';

const LETTERS = ['A', 'B', 'C', 'D'] as const;

/** The data of one subject a prompt needs: dev exemplars, test questions, the flan-2 CoT prompt. */
export interface MmluSubjectData {
  subject: string;
  dev: readonly MmluRecord[];
  test: readonly MmluRecord[];
  /** `mmlu-cot.json[subject]`; needed for the `cot` format only. */
  cotPrompt?: string;
}

export const MMLU_FORMATS = ['direct', 'cot', 'direct_hendrycks'] as const;
export type MmluFormat = (typeof MMLU_FORMATS)[number];

/** `The following … about abstract algebra.` as flan-2 writes it: one space, `_` → space. */
export function mmluHeader(subject: string): string {
  return `The following are multiple choice questions (with answers) about ${subject.split('_').join(' ')}.\n\n`;
}

/** `Q: …\n(A) c0 (B) c1 (C) c2 (D) c3\nA:`; the question is stripped, the choices are not. */
export function mmluQuestion(record: MmluRecord): string {
  const options = record.choices.map((c, i) => `(${LETTERS[i]}) ${c}`).join(' ');
  return `Q: ${pyStrip(record.question)}\n${options}\nA:`;
}

/** The hendrycks block: question unstripped (pandas keeps it), `A. c0` lines, `Answer:`. */
export function hendrycksQuestion(record: MmluRecord): string {
  const options = record.choices.map((c, i) => `\n${LETTERS[i]}. ${c}`).join('');
  return `${record.question}${options}\nAnswer:`;
}

/** `format_subject` prefixes every word with a space, hence the two spaces after "about". */
export function hendrycksHeader(subject: string): string {
  const formatted = subject
    .split('_')
    .map((w) => ` ${w}`)
    .join('');
  return `The following are multiple choice questions (with answers) about ${formatted}.\n\n`;
}

/** The model input of one test question in a format, with `shots` dev exemplars (default 5). */
export function mmluPrompt(data: MmluSubjectData, record: MmluRecord, format: MmluFormat, shots = 5): string {
  const dev = data.dev.slice(0, shots);
  switch (format) {
    case 'direct':
      return (
        mmluHeader(data.subject) +
        dev.map((d) => `${mmluQuestion(d)} (${d.answer})\n\n`).join('') +
        mmluQuestion(record)
      );
    case 'direct_hendrycks':
      return (
        hendrycksHeader(data.subject) +
        dev.map((d) => `${hendrycksQuestion(d)} ${d.answer}\n\n`).join('') +
        hendrycksQuestion(record)
      );
    case 'cot':
      if (data.cotPrompt === undefined)
        throw new EvalError(`mmlu cot: no flan-2 CoT prompt for subject "${data.subject}"`);
      return `${pyStrip(data.cotPrompt)}\n\n${mmluQuestion(record)} Let's think step by step.`;
  }
}

/** Every test question of a subject (or the first `limit`) as prompt records. */
export function mmluPrompts(data: MmluSubjectData, format: MmluFormat, limit?: number): PromptRecord[] {
  return limited([...data.test], limit).map((record, line) => ({
    benchmark: 'mmlu',
    format,
    task: data.subject,
    example_id: `${data.subject}/test/${line}`,
    prompt: mmluPrompt(data, record, format),
    target: format === 'direct_hendrycks' ? record.answer : `(${record.answer})`,
    choices: [...record.choices],
  }));
}

/** A direct MMLU prompt taken apart: the header, each exemplar block (with its `\n\n`), the question. */
export interface MmluPromptParts {
  header: string;
  shots: string[];
  query: string;
}

// Each exemplar ends with its answer line and a blank line; nothing else in a prompt does.
const SHOT_END: Record<'direct' | 'direct_hendrycks', RegExp> = {
  direct: /\nA: \([A-D]\)\n\n/g,
  direct_hendrycks: /\nAnswer: [A-D]\n\n/g,
};

/** Splits a `direct` / `direct_hendrycks` prompt so shots can be dropped (undefined for other formats). */
export function mmluPromptParts(prompt: string, format: string): MmluPromptParts | undefined {
  if (format !== 'direct' && format !== 'direct_hendrycks') return undefined;
  const headerEnd = prompt.indexOf('.\n\n');
  if (headerEnd < 0) return undefined;
  const header = prompt.slice(0, headerEnd + 3);
  const shots: string[] = [];
  let start = header.length;
  for (const m of prompt.slice(header.length).matchAll(SHOT_END[format])) {
    const end = header.length + m.index + m[0].length;
    shots.push(prompt.slice(start, end));
    start = end;
  }
  return { header, shots, query: prompt.slice(start) };
}

/**
 * The prompt with only its first `k` exemplars: the MMLU authors' `evaluate_flan.py` lowers k from
 * 5 while the input is over 2048 tokens.
 */
export function withShots(parts: MmluPromptParts, k: number): string {
  return parts.header + parts.shots.slice(0, k).join('') + parts.query;
}
