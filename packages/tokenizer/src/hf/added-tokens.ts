/**
 * Added tokens (`tokenizer.json` → `added_tokens`) are split out of the text before the normalizer
 * and the model run, as `tokenizers`' AddedVocabulary does: first the tokens with
 * `normalized: false` on the raw text, then those with `normalized: true` on the normalized pieces.
 * Matching is leftmost-longest; `single_word` rejects a match glued to a word character and
 * `lstrip`/`rstrip` let the token absorb the whitespace beside it.
 */
import { escapeRegex } from './regex';
import type { Json } from './types';
import { invalidComponent, isObject } from './types';

export interface AddedToken {
  id: number;
  content: string;
  special: boolean;
  singleWord: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
}

/** A stretch of input: plain text still to be encoded, or an added token already decided. */
export type Segment = { text: string; atStart: boolean } | { token: AddedToken };

const WORD_CHAR = /[\p{Alphabetic}\p{N}]/u;
const WHITE = /\p{White_Space}/u;

export function parseAddedTokens(value: unknown, source: string): AddedToken[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) invalidComponent(source, '"added_tokens" must be an array');
  return value.map((t: unknown, i): AddedToken => {
    if (!isObject(t) || typeof t.id !== 'number' || typeof t.content !== 'string')
      invalidComponent(source, `added_tokens[${i}] must have a numeric "id" and a string "content"`);
    const token: Json = t;
    return {
      id: t.id,
      content: t.content,
      special: token.special === true,
      singleWord: token.single_word === true,
      lstrip: token.lstrip === true,
      rstrip: token.rstrip === true,
      // `tokenizers` defaults `normalized` to the opposite of `special`.
      normalized: typeof token.normalized === 'boolean' ? token.normalized : token.special !== true,
    };
  });
}

/** Finds one class of added tokens (normalized or not) in text. */
export class AddedTokenMatcher {
  private readonly regex: RegExp | undefined;
  private readonly byContent = new Map<string, AddedToken>();

  constructor(tokens: readonly AddedToken[]) {
    for (const t of tokens) if (t.content !== '') this.byContent.set(t.content, t);
    // Longest first, so the alternation (leftmost-first in JS) is leftmost-longest.
    const contents = [...this.byContent.keys()].sort((a, b) => b.length - a.length);
    if (contents.length > 0) this.regex = new RegExp(contents.map(escapeRegex).join('|'), 'gu');
  }

  /** Splits `text` into plain stretches and added tokens. */
  split(text: string, atStart: boolean, out: Segment[]): void {
    const regex = this.regex;
    if (!regex || text === '') {
      if (text !== '') out.push({ text, atStart });
      return;
    }
    regex.lastIndex = 0;
    let prev = 0;
    for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
      const token = this.byContent.get(m[0])!;
      let start = m.index;
      let end = start + m[0].length;
      if (token.singleWord) {
        const before = start > 0 ? String.fromCodePoint(text.codePointAt(start - 1)!) : '';
        const beforeChar =
          start > 0 && text.charCodeAt(start - 1) >= 0xdc00 && text.charCodeAt(start - 1) < 0xe000
            ? text.slice(start - 2, start)
            : before;
        const afterChar = end < text.length ? String.fromCodePoint(text.codePointAt(end)!) : '';
        if ((beforeChar && WORD_CHAR.test(beforeChar)) || (afterChar && WORD_CHAR.test(afterChar))) continue;
      }
      if (token.lstrip) while (start > prev && WHITE.test(text[start - 1]!)) start--;
      if (token.rstrip) {
        while (end < text.length && WHITE.test(text[end]!)) end++;
        regex.lastIndex = end;
      }
      if (start > prev) out.push({ text: text.slice(prev, start), atStart: atStart && prev === 0 });
      out.push({ token });
      prev = end;
    }
    if (prev < text.length) out.push({ text: text.slice(prev), atStart: atStart && prev === 0 });
  }
}
