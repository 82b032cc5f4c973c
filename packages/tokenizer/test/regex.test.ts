/**
 * The Oniguruma → JavaScript regex translation, on the classes Qwen3's and Llama 3's split
 * patterns use: \p{L}, \p{N}, \s (Unicode White_Space, not JS's), \r\n, (?i:...) contractions,
 * lookahead, and possessive quantifiers.
 */
import { describe, expect, it } from 'vitest';
import { compileRegex, translateRegex } from '../src/hf/regex';
import { splitText } from '../src/hf/pre-tokenizers';

const QWEN3 =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const LLAMA3 =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const split = (pattern: string, text: string): string[] => splitText(text, compileRegex(pattern), 'Isolated');

describe('translateRegex', () => {
  it('rewrites (?i:...) letter by letter, with the Unicode folds of s and k', () => {
    expect(translateRegex("(?i:'s|'ll)")).toBe("(?:'[sSſ]|'[lL][lL])");
    expect(translateRegex('(?i:k)')).toBe('(?:[kK\u212a])');
  });

  it('maps \\s to Unicode White_Space, \\d to Nd and keeps \\p classes', () => {
    expect(translateRegex('\\s+(?!\\S)')).toBe('\\p{White_Space}+(?!\\P{White_Space})');
    expect(translateRegex('[^\\s\\p{L}]\\d')).toBe('[^\\p{White_Space}\\p{L}]\\p{Nd}');
  });

  it('emulates possessive quantifiers with an atomic group', () => {
    expect(translateRegex('\\p{L}++a')).toBe('(?=(?<possessive0>\\p{L}+))\\k<possessive0>a');
    // A possessive run never gives back: "aaa" cannot match a++a.
    expect(compileRegex('a++a').test('aaa')).toBe(false);
    expect(compileRegex('a+a').test('aaa')).toBe(true);
    expect(translateRegex('[a-z]*+')).toBe('(?=(?<possessive0>[a-z]*))\\k<possessive0>');
  });
});

describe('Qwen3 split pattern', () => {
  it('contractions in any case, also with U+017F', () => {
    expect(split(QWEN3, "I'M he'Ll it'ſ")).toEqual(['I', "'M", ' he', "'Ll", ' it', "'ſ"]);
  });
  it('\\p{L}: letters of every script, one optional non-letter prefix', () => {
    expect(split(QWEN3, 'héllo мир 世界 مرحبا नमस्ते')).toEqual([
      'héllo',
      ' мир',
      ' 世界',
      ' مرحبا',
      // The virama and vowel sign are marks (Mn/Mc), not \p{L}.
      ' नमस',
      '्त',
      'े',
    ]);
  });
  it('\\p{N}: one digit at a time, any script (Arabic-Indic, fullwidth, Roman numeral Ⅻ)', () => {
    expect(split(QWEN3, '12٣４Ⅻ')).toEqual(['1', '2', '٣', '４', 'Ⅻ']);
  });
  it('\\s is White_Space: U+0085 and U+3000 are spaces, U+FEFF is not', () => {
    expect(split(QWEN3, 'a\u0085\u3000b')).toEqual(['a', '\u0085', '\u3000b']);
    expect(split(QWEN3, 'a \ufeffb')).toEqual(['a', ' \ufeff', 'b']);
  });
  it('\\r\\n runs and trailing whitespace lookahead', () => {
    expect(split(QWEN3, 'x  \r\n\r\n  y\t')).toEqual(['x', '  \r\n\r\n', ' ', ' y', '\t']);
    expect(split(QWEN3, '!!\n\nz')).toEqual(['!!\n\n', 'z']);
  });
  it('Llama 3 groups digits by three', () => {
    expect(split(LLAMA3, '1234567')).toEqual(['123', '456', '7']);
  });
});
