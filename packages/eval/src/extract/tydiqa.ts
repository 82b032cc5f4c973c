/**
 * TyDiQA exact match with the SQuAD v1.1 / T5 `normalize_squad` normaliser, with Python's Unicode
 * semantics: `\b` is Unicode-aware, `str.split()` splits at NBSP and U+3000, only ASCII punctuation
 * is removed and native digits stay as they are.
 */
import { pySplit, pyStrip, PY_WORD_CHAR } from '../python';
import { firstLine } from './answer-span';

const ASCII_PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
const ARTICLES = new RegExp(`(?<!${PY_WORD_CHAR})(?:a|an|the)(?!${PY_WORD_CHAR})`, 'gu');

/** `normalize_squad`: lower, drop ASCII punctuation, articles to spaces, whitespace collapsed. */
export function normalizeSquad(s: string): string {
  const lowered = s.toLowerCase().replace(ASCII_PUNCTUATION, '').replace(ARTICLES, ' ');
  return pySplit(lowered).join(' ');
}

/** The prediction: the first line of the output, stripped. */
export function tydiqaPrediction(output: string): string {
  return pyStrip(firstLine(output));
}

/** Exact match: the normalised prediction equals some normalised gold answer. */
export function tydiqaExactMatch(prediction: string, answers: readonly string[]): boolean {
  const normalized = normalizeSquad(prediction);
  return answers.some((a) => normalizeSquad(a) === normalized);
}
