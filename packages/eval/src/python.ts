/**
 * Python string semantics the reference implementation relies on. JavaScript differs in small but
 * score-changing ways: `trim()` strips U+FEFF but not U+0085, `\s` misses U+001C–U+001F, `\b` is
 * ASCII-only and `\d` matches only ASCII digits. Each helper here is the Python behaviour.
 */

/** Characters for which Python's `str.isspace()` is true (what `str.split()` / `str.strip()` use). */
export const PY_WHITESPACE =
  '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

const LEADING = new RegExp(`^[${PY_WHITESPACE}]+`, 'u');
const TRAILING = new RegExp(`[${PY_WHITESPACE}]+$`, 'u');
const RUNS = new RegExp(`[${PY_WHITESPACE}]+`, 'u');

/** Python's `s.strip()`. */
export function pyStrip(s: string): string {
  return s.replace(LEADING, '').replace(TRAILING, '');
}

/** Python's `s.rstrip()`. */
export function pyRstrip(s: string): string {
  return s.replace(TRAILING, '');
}

/** Python's `s.split()` (no separator: runs of whitespace, no empty strings). */
export function pySplit(s: string): string[] {
  const stripped = pyStrip(s);
  return stripped === '' ? [] : stripped.split(RUNS);
}

/** Python's `str.casefold()`, close enough for answer matching: full upper then lower maps ß to ss. */
export function casefold(s: string): string {
  return s.toUpperCase().toLowerCase();
}

/** A character Python's `re` counts as a word character in a str pattern (`str.isalnum()` or `_`). */
export const PY_WORD_CHAR = '[\\p{L}\\p{N}_]';

const DECIMAL_DIGIT = /\p{Nd}/gu;
const digitValues = new Map<string, string>();

/**
 * The value of a Unicode decimal digit (category Nd). Unicode lays every Nd digit out in runs of ten
 * consecutive code points from 0 to 9, so the value is the position within its run.
 */
function digitValue(c: string): string {
  let value = digitValues.get(c);
  if (value === undefined) {
    let cp = c.codePointAt(0)!;
    let before = 0;
    while (/\p{Nd}/u.test(String.fromCodePoint(cp - 1))) {
      cp -= 1;
      before += 1;
    }
    value = String(before % 10);
    digitValues.set(c, value);
  }
  return value;
}

/** Maps every Unicode decimal digit (Bengali, Thai, Telugu, full-width, …) to its ASCII digit. */
export function asciiDigits(s: string): string {
  return s.replace(DECIMAL_DIGIT, digitValue);
}
