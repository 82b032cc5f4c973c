/**
 * `tokenizer.json` normalizers as string functions. Offsets are not tracked: the library returns
 * ids and token strings, which do not need them.
 */
import { compileRegex, escapeRegex } from './regex';
import type { Json, PatternSpec } from './types';
import { invalidComponent, isObject, unknownComponent } from './types';

export type Normalizer = (text: string) => string;

/** A `{String}` or `{Regex}` pattern as a global RegExp. */
export function patternRegex(pattern: unknown, source: string, where: string): RegExp {
  if (!isObject(pattern)) invalidComponent(source, `${where}: "pattern" must be {String} or {Regex}`);
  const spec = pattern as PatternSpec;
  if (typeof spec.String === 'string') return new RegExp(escapeRegex(spec.String), 'gu');
  if (typeof spec.Regex === 'string') return compileRegex(spec.Regex);
  return invalidComponent(source, `${where}: "pattern" must be {String} or {Regex}`);
}

// Combining marks, as `tokenizers`' StripAccents removes them (after NFD, by the user's sequence).
const MARKS = /\p{Mn}/gu;
// BertNormalizer's clean_text: drop NUL, U+FFFD and control characters; other whitespace to ' '.
// eslint-disable-next-line no-control-regex -- NUL is exactly what clean_text drops
const BERT_DROP = /[\u0000\ufffd]|[\p{Cc}\p{Cf}](?<![\t\n\r])/gu;
const BERT_SPACE = /[\t\n\r\p{Zs}]/gu;
const CJK =
  /([\u4e00-\u9fff\u3400-\u4dbf\u{20000}-\u{2a6df}\u{2a700}-\u{2b73f}\u{2b740}-\u{2b81f}\u{2b820}-\u{2ceaf}\uf900-\ufaff\u{2f800}-\u{2fa1f}])/gu;

/** Builds the normalizer of a `tokenizer.json` `normalizer` entry (`null` → identity). */
export function buildNormalizer(spec: unknown, source: string): Normalizer | undefined {
  if (spec === null || spec === undefined) return undefined;
  if (!isObject(spec)) return unknownComponent(source, 'normalizer', spec);
  const n: Json = spec;
  switch (n.type) {
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD': {
      const form = n.type;
      return (text) => text.normalize(form);
    }
    case 'Lowercase':
      return (text) => text.toLowerCase();
    case 'StripAccents':
      return (text) => text.replace(MARKS, '');
    case 'Strip': {
      const left = n.left !== false;
      const right = n.right !== false;
      return (text) => {
        let out = text;
        if (left) out = out.replace(/^\p{White_Space}+/u, '');
        if (right) out = out.replace(/\p{White_Space}+$/u, '');
        return out;
      };
    }
    case 'Prepend': {
      if (typeof n.prepend !== 'string') invalidComponent(source, 'Prepend normalizer needs "prepend"');
      const prefix = n.prepend;
      // `tokenizers` prepends only to non-empty text.
      return (text) => (text === '' ? text : prefix + text);
    }
    case 'Replace': {
      const regex = patternRegex(n.pattern, source, 'Replace normalizer');
      if (typeof n.content !== 'string') invalidComponent(source, 'Replace normalizer needs "content"');
      const content = n.content;
      return (text) => text.replace(regex, () => content);
    }
    case 'BertNormalizer': {
      const clean = n.clean_text !== false;
      const chinese = n.handle_chinese_chars !== false;
      const lowercase = n.lowercase !== false;
      const strip =
        n.strip_accents === null || n.strip_accents === undefined ? lowercase : n.strip_accents === true;
      return (text) => {
        let out = text;
        if (clean) out = out.replace(BERT_DROP, '').replace(BERT_SPACE, ' ');
        if (chinese) out = out.replace(CJK, ' $1 ');
        if (strip) out = out.normalize('NFD').replace(MARKS, '');
        if (lowercase) out = out.toLowerCase();
        return out;
      };
    }
    case 'Sequence': {
      if (!Array.isArray(n.normalizers)) invalidComponent(source, 'Sequence normalizer needs "normalizers"');
      const parts = n.normalizers
        .map((child) => buildNormalizer(child, source))
        .filter((f) => f !== undefined);
      return (text) => parts.reduce((acc, f) => f(acc), text);
    }
    default:
      return unknownComponent(source, 'normalizer', n);
  }
}
