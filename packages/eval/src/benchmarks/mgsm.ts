/**
 * MGSM native chain-of-thought prompts (`data/eval/README.md` §1): the 8 exemplars of the language
 * verbatim, then the question with the language's own prefixes, ending with the answer prefix.
 */
import type { MgsmExemplar, MgsmRecord } from '../data/records';
import { EvalError } from '../errors';
import { limited, type PromptRecord } from '../prompts';
import { pyRstrip } from '../python';

export interface MgsmLanguageData {
  language: string;
  records: readonly MgsmRecord[];
  exemplars: readonly MgsmExemplar[];
}

export const MGSM_LANGUAGES = ['bn', 'de', 'en', 'es', 'fr', 'ja', 'ru', 'sw', 'te', 'th', 'zh'] as const;

/** The prefix of an exemplar field up to its first (ASCII or full-width) colon and the spaces after it. */
function prefixOf(text: string, what: string, language: string): string {
  const prefix = /^[^:：\n]*[:：]\s*/u.exec(text)?.[0];
  if (!prefix) throw new EvalError(`mgsm ${language}: exemplar ${what} has no "prefix:" to take`);
  return prefix;
}

/** The question and answer prefixes of a language (`Question: ` / `Step-by-Step Answer: `), from its exemplars. */
export function mgsmPrefixes(
  exemplars: readonly MgsmExemplar[],
  language: string,
): { question: string; answer: string } {
  const first = exemplars[0];
  if (first === undefined) throw new EvalError(`mgsm ${language}: no exemplars`);
  return { question: prefixOf(first.q, 'q', language), answer: prefixOf(first.a, 'a', language) };
}

/** The model input of one question. */
export function mgsmPrompt(data: MgsmLanguageData, question: string): string {
  const { question: qp, answer: ap } = mgsmPrefixes(data.exemplars, data.language);
  const shots = data.exemplars.map((e) => `${e.q}\n${e.a}`).join('\n\n');
  return `${shots}\n\n${qp}${question}\n${pyRstrip(ap)}`;
}

/** Every question of a language (or the first `limit`) as prompt records. */
export function mgsmPrompts(data: MgsmLanguageData, limit?: number): PromptRecord[] {
  return limited([...data.records], limit).map((record, line) => ({
    benchmark: 'mgsm',
    format: 'native_cot',
    task: data.language,
    example_id: `${data.language}/${line}`,
    prompt: mgsmPrompt(data, record.question),
    target: record.answer_number,
  }));
}
