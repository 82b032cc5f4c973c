/**
 * BBH answer extraction (`data/eval/README.md` §2): the span after the first "the answer is"
 * (case-insensitive) for CoT, the first line for direct; canonicalised; matched under casefold.
 */
import { casefold, pyStrip, PY_WHITESPACE } from '../python';
import { answerSpan, cutAtBlankLine, firstLine } from './answer-span';

const KEYWORD = /the answer is/i;
const LETTER_TARGET = /^\([A-Z]\)$/;
const WHITESPACE_RUNS = new RegExp(`[${PY_WHITESPACE}]+`, 'gu');

/**
 * Canonical form of an answer: whitespace runs collapsed, one trailing `.` dropped and, for a
 * multiple-choice target `(X)`, a leading `(x)` or bare capital letter turned into `(X)`.
 */
export function canonicalBbhAnswer(answer: string, target: string): string {
  let s = pyStrip(answer.replace(WHITESPACE_RUNS, ' '));
  if (s.endsWith('.')) s = s.slice(0, -1);
  if (LETTER_TARGET.test(target)) {
    const paren = /^\(([A-Za-z])\)/.exec(s);
    if (paren) return `(${paren[1]!.toUpperCase()})`;
    const bare = /^([A-Z])(?:\)|[^\p{L}\p{N}]|$)/u.exec(s);
    if (bare) return `(${bare[1]})`;
  }
  return s;
}

/** The canonical answer of a BBH CoT output (`""` when it has no "the answer is"). */
export function extractBbhCot(output: string, target: string): string {
  const text = cutAtBlankLine(output);
  const hit = KEYWORD.exec(text);
  if (hit === null) return '';
  const rest = text.slice(hit.index + hit[0].length);
  return canonicalBbhAnswer(answerSpan(firstLine(rest)), target);
}

/** The canonical answer of a BBH direct output: its first line's first sentence. */
export function extractBbhDirect(output: string, target: string): string {
  return canonicalBbhAnswer(answerSpan(firstLine(output)), target);
}

/** Whether a canonical answer matches the target: non-empty and equal under casefold. */
export function bbhCorrect(extracted: string, target: string): boolean {
  return extracted !== '' && casefold(extracted) === casefold(target);
}

/**
 * What lm-evaluation-harness's BBH CoT filter extracts (`(?<=the answer is )(.*)(?=.)`, first match,
 * `[invalid]` otherwise), for comparison: case-sensitive and one character short at a line end.
 */
export function lmEvalBbhCotRegex(output: string): string {
  const m = /(?<=the answer is )(.*)(?=.)/.exec(output);
  return m === null ? '[invalid]' : m[1]!;
}
