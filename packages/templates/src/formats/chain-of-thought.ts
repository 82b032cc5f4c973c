/**
 * Chain-of-thought conventions: targets that end in "So the answer is X." / "The answer is X.", the
 * zero-shot CoT trigger (Kojima et al. 2022), and answer extraction from such targets.
 */

/** The zero-shot CoT trigger appended to inputs. */
export const COT_TRIGGER = "Let's think step by step.";

/** Phrases that introduce the final answer, as the CoT prompt files of BBH, MMLU and MGSM use them. */
export type AnswerPhrase = 'So the answer is' | 'The answer is';

/** `rationale + " So the answer is " + answer + "."` (BBH style), or with "The answer is" (MMLU / MGSM). */
export function cotTarget(
  rationale: string,
  answer: string,
  phrase: AnswerPhrase = 'So the answer is',
): string {
  const sep = rationale === '' || /\s$/.test(rationale) ? '' : ' ';
  return `${rationale}${sep}${phrase} ${answer}.`;
}

/** Appends the zero-shot CoT trigger: `input + separator + trigger`. */
export function withCotTrigger(input: string, trigger = COT_TRIGGER, separator = '\n'): string {
  return trigger === '' ? input : input + separator + trigger;
}

/**
 * The answer after the last "the answer is" (case-insensitive, optional ":"), without the final
 * period; `undefined` when the text has no answer phrase.
 */
export function extractCotAnswer(text: string): string | undefined {
  const matches = [...text.matchAll(/the answer is:?\s*/giu)];
  const last = matches.at(-1);
  if (!last) return undefined;
  return text
    .slice(last.index + last[0].length)
    .trim()
    .replace(/\.$/, '')
    .trim();
}
