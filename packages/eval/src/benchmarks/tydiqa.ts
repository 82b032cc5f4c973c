/**
 * TyDiQA GoldP one-shot prompts (`data/eval/README.md` §1): one exemplar (train sample line 0 where
 * the data has one, else dev line 0, which is then never a test item), contexts and questions
 * stripped, the first gold answer as the exemplar's answer.
 */
import type { TydiqaRecord } from '../data/records';
import { EvalError } from '../errors';
import { limited, type PromptRecord } from '../prompts';
import { pyStrip } from '../python';

export interface TydiqaLanguageData {
  language: string;
  /** The dev records. */
  records: readonly TydiqaRecord[];
  /** `train_sample/<lang>.jsonl`, when the data has it (en, ko, sw). */
  trainSample?: readonly TydiqaRecord[];
}

export const TYDIQA_LANGUAGES = ['ar', 'bn', 'en', 'fi', 'id', 'ko', 'ru', 'sw', 'te'] as const;

function block(record: TydiqaRecord): string {
  return `${pyStrip(record.context)}\nQ: ${pyStrip(record.question)}\nA:`;
}

/** The exemplar, its label and the dev records left as test items. */
export function tydiqaSplit(data: TydiqaLanguageData): {
  exemplar: TydiqaRecord;
  label: string;
  items: { record: TydiqaRecord; line: number }[];
} {
  const items = data.records.map((record, line) => ({ record, line }));
  const train = data.trainSample?.[0];
  if (train !== undefined) return { exemplar: train, label: `train_sample/${data.language}/0`, items };
  const first = data.records[0];
  if (first === undefined) throw new EvalError(`tydiqa ${data.language}: no records`);
  return { exemplar: first, label: `${data.language}/0`, items: items.slice(1) };
}

/** The model input of one question given its exemplar. */
export function tydiqaPrompt(exemplar: TydiqaRecord, record: TydiqaRecord): string {
  return `${block(exemplar)} ${exemplar.answers[0]}\n\n${block(record)}`;
}

/** Every test item of a language (or the first `limit`) as prompt records. */
export function tydiqaPrompts(data: TydiqaLanguageData, limit?: number): PromptRecord[] {
  const { exemplar, label, items } = tydiqaSplit(data);
  return limited(items, limit).map(({ record }) => ({
    benchmark: 'tydiqa',
    format: 'direct_1shot',
    task: data.language,
    example_id: record.id,
    prompt: tydiqaPrompt(exemplar, record),
    target: [...record.answers],
    exemplar: label,
  }));
}
