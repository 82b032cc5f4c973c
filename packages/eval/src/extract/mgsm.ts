/**
 * MGSM number extraction (`data/eval/README.md` §2): native digits mapped to ASCII, the first answer
 * phrase (the language's or English) followed by a number, else the last number of the output.
 */
import { asciiDigits } from '../python';
import { cutAtBlankLine } from './answer-span';

/** The answer phrases of each language, from its exemplars (German uses two). */
export const MGSM_ANSWER_PHRASES: Record<string, readonly string[]> = {
  en: ['The answer is'],
  de: ['Die Antwort lautet', 'Die Antwort ist'],
  es: ['La respuesta es'],
  fr: ['La réponse est'],
  ja: ['答えは'],
  ru: ['Ответ —'],
  sw: ['Jibu ni'],
  te: ['సమాధానం'],
  th: ['คำตอบคือ'],
  zh: ['答案是'],
  bn: ['উত্তর হল'],
};

const NUMBER = '-?\\d[\\d,]*(?:\\.\\d+)?';
// After a phrase: an optional colon, then at most 3 non-digit symbols (currency such as `$`).
const AFTER_PHRASE = new RegExp(`^\\s*[:：]?\\s*[^\\d]{0,3}?(${NUMBER})`, 'u');

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Canonical number text: commas removed, trailing fractional zeros and point dropped, leading zeros removed. */
export function canonicalNumber(text: string): string {
  let s = text.replaceAll(',', '');
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s.replace(/^(-?)0+(?=\d)/, '$1');
}

export interface MgsmExtraction {
  /** The canonical number, `""` when the output has none. */
  extracted: string;
  via: 'phrase' | 'last_number' | 'none';
}

/** The answer of an MGSM output for `language` (unknown languages use the English phrase only). */
export function extractMgsm(output: string, language: string): MgsmExtraction {
  const text = asciiDigits(cutAtBlankLine(output));
  const phrases = [...new Set([...(MGSM_ANSWER_PHRASES[language] ?? []), 'The answer is'])];
  const phrase = new RegExp(phrases.map(escape).join('|'), 'giu');
  for (const hit of text.matchAll(phrase)) {
    const m = AFTER_PHRASE.exec(text.slice(hit.index + hit[0].length));
    if (m !== null) return { extracted: canonicalNumber(m[1]!), via: 'phrase' };
  }
  const numbers = [...text.matchAll(new RegExp(NUMBER, 'g'))];
  const last = numbers[numbers.length - 1];
  if (last !== undefined) return { extracted: canonicalNumber(last[0]), via: 'last_number' };
  return { extracted: '', via: 'none' };
}

/** Python's `float(extracted) == answer_number`; an empty extraction is wrong. */
export function mgsmCorrect(extracted: string, answer: number): boolean {
  return extracted !== '' && Number(extracted) === answer;
}
