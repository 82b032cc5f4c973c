/**
 * `tokenizer.json` pre-tokenizers: each turns pieces of normalized text into smaller pieces, which
 * the model then encodes one by one. A piece remembers whether it starts the input, because
 * Metaspace's `prepend_scheme: "first"` prepends only there.
 */
import { toByteLevel } from './byte-level';
import { patternRegex } from './normalizers';
import { compileRegex } from './regex';
import type { Json } from './types';
import { invalidComponent, isObject, unknownComponent } from './types';

export interface Piece {
  text: string;
  /** The piece begins at offset 0 of the text being encoded. */
  atStart: boolean;
}

export type PreTokenizer = (pieces: Piece[]) => Piece[];

export type SplitBehavior = 'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';

const BEHAVIORS = new Set<string>([
  'Removed',
  'Isolated',
  'MergedWithPrevious',
  'MergedWithNext',
  'Contiguous',
]);

/** GPT-2's split regex, which ByteLevel applies when `use_regex` is true. */
export const GPT2_PATTERN =
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/**
 * Splits `text` at the matches of `regex` as `tokenizers`' `NormalizedString::split` does for
 * `behavior`; `invert` treats the matches as the pieces to keep apart instead.
 */
export function splitText(text: string, regex: RegExp, behavior: SplitBehavior, invert = false): string[] {
  const segments: [start: number, end: number, isMatch: boolean][] = [];
  let prev = 0;
  regex.lastIndex = 0;
  for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
    const start = m.index;
    const end = start + m[0].length;
    if (end === start) {
      // An empty match would loop forever; `u` mode steps over whole code points.
      regex.lastIndex = start + (text.codePointAt(start)! > 0xffff ? 2 : 1);
      if (start >= text.length) break;
      continue;
    }
    if (prev !== start) segments.push([prev, start, invert]);
    segments.push([start, end, !invert]);
    prev = end;
  }
  if (prev !== text.length) segments.push([prev, text.length, invert]);

  let kept: [number, number][] = [];
  switch (behavior) {
    case 'Removed':
      kept = segments.filter((s) => !s[2]).map((s) => [s[0], s[1]]);
      break;
    case 'Isolated':
      kept = segments.map((s) => [s[0], s[1]]);
      break;
    case 'MergedWithPrevious': {
      let previousMatch = false;
      for (const [start, end, isMatch] of segments) {
        const last = kept[kept.length - 1];
        if (isMatch && !previousMatch && last) last[1] = end;
        else kept.push([start, end]);
        previousMatch = isMatch;
      }
      break;
    }
    case 'MergedWithNext': {
      let previousMatch = false;
      for (let i = segments.length - 1; i >= 0; i--) {
        const [start, end, isMatch] = segments[i]!;
        const last = kept[kept.length - 1];
        if (isMatch && !previousMatch && last) last[0] = start;
        else kept.push([start, end]);
        previousMatch = isMatch;
      }
      kept.reverse();
      break;
    }
    case 'Contiguous': {
      let previousMatch: boolean | undefined;
      for (const [start, end, isMatch] of segments) {
        const last = kept[kept.length - 1];
        if (isMatch === previousMatch && last) last[1] = end;
        else kept.push([start, end]);
        previousMatch = isMatch;
      }
      break;
    }
  }
  return kept.filter(([s, e]) => e > s).map(([s, e]) => text.slice(s, e));
}

/** {@link splitText} with `Isolated` behaviour, handing each piece to `emit` instead of building arrays. */
function splitIsolated(text: string, regex: RegExp, emit: (piece: string) => void): void {
  let prev = 0;
  regex.lastIndex = 0;
  for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
    const start = m.index;
    const match = m[0];
    if (match.length === 0) {
      regex.lastIndex = start + (text.codePointAt(start)! > 0xffff ? 2 : 1);
      if (start >= text.length) break;
      continue;
    }
    if (prev !== start) emit(text.slice(prev, start));
    emit(match);
    prev = start + match.length;
  }
  if (prev !== text.length) emit(prev === 0 ? text : text.slice(prev));
}

/**
 * A pre-tokenizer whose pieces do not depend on where they are (isolating regex splits, then one
 * mapping per piece, as ByteLevel without a prefix space): the pipeline can then cache ids by the
 * piece before mapping, and split without building piece arrays.
 */
export interface PiecewisePreTokenizer {
  split(text: string, emit: (piece: string) => void): void;
  map(piece: string): string;
}

function isolatingRegex(p: Json, source: string): RegExp | undefined {
  if (p.type !== 'Split' || p.behavior !== 'Isolated' || p.invert === true) return undefined;
  return patternRegex(p.pattern, source, 'Split pre_tokenizer');
}

/**
 * The {@link PiecewisePreTokenizer} form of a `pre_tokenizer`, when it has one: ByteLevel without
 * `add_prefix_space`, alone or after isolating Splits (GPT-2, Llama 3, Qwen3). Same pieces as
 * {@link buildPreTokenizer}'s.
 */
export function piecewisePreTokenizer(spec: unknown, source: string): PiecewisePreTokenizer | undefined {
  if (!isObject(spec)) return undefined;
  const stages: Json[] =
    spec.type === 'Sequence' && Array.isArray(spec.pretokenizers)
      ? spec.pretokenizers.filter(isObject)
      : [spec];
  const last = stages[stages.length - 1];
  if (!last || last.type !== 'ByteLevel' || last.add_prefix_space === true) return undefined;
  const regexes: RegExp[] = [];
  for (const stage of stages.slice(0, -1)) {
    const regex = isolatingRegex(stage, source);
    if (!regex) return undefined;
    regexes.push(regex);
  }
  if (last.use_regex !== false) regexes.push(compileRegex(GPT2_PATTERN));
  const split = (text: string, level: number, emit: (piece: string) => void): void => {
    if (level === regexes.length) emit(text);
    else if (level === regexes.length - 1) splitIsolated(text, regexes[level]!, emit);
    else splitIsolated(text, regexes[level]!, (piece) => split(piece, level + 1, emit));
  };
  return { split: (text, emit) => split(text, 0, emit), map: toByteLevel };
}

function splitPieces(pieces: Piece[], split: (text: string) => string[]): Piece[] {
  const out: Piece[] = [];
  for (const piece of pieces) {
    const parts = split(piece.text);
    parts.forEach((text, i) => out.push({ text, atStart: piece.atStart && i === 0 }));
  }
  return out;
}

function behaviorOf(value: unknown, source: string, where: string): SplitBehavior {
  if (typeof value !== 'string' || !BEHAVIORS.has(value))
    invalidComponent(source, `${where}: unknown split behavior ${JSON.stringify(value)}`);
  return value as SplitBehavior;
}

/** Builds the pre-tokenizer of a `tokenizer.json` `pre_tokenizer` entry (`null` → none). */
export function buildPreTokenizer(spec: unknown, source: string): PreTokenizer | undefined {
  if (spec === null || spec === undefined) return undefined;
  if (!isObject(spec)) return unknownComponent(source, 'pre_tokenizer', spec);
  const p: Json = spec;
  switch (p.type) {
    case 'Split': {
      const regex = patternRegex(p.pattern, source, 'Split pre_tokenizer');
      const behavior = behaviorOf(p.behavior, source, 'Split pre_tokenizer');
      const invert = p.invert === true;
      return (pieces) => splitPieces(pieces, (text) => splitText(text, regex, behavior, invert));
    }
    case 'ByteLevel': {
      const addPrefixSpace = p.add_prefix_space === true;
      const regex = p.use_regex === false ? undefined : compileRegex(GPT2_PATTERN);
      return (pieces) =>
        splitPieces(pieces, (text) => {
          const spaced = addPrefixSpace && !text.startsWith(' ') ? ' ' + text : text;
          const parts = regex ? splitText(spaced, regex, 'Isolated') : [spaced];
          return parts.map(toByteLevel);
        });
    }
    case 'Metaspace': {
      const replacement = typeof p.replacement === 'string' ? p.replacement : '\u2581';
      const scheme =
        typeof p.prepend_scheme === 'string'
          ? p.prepend_scheme
          : p.add_prefix_space === false
            ? 'never'
            : 'always';
      const split = p.split !== false;
      const splitter = new RegExp(replacement.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&'), 'gu');
      return (pieces) =>
        pieces.flatMap((piece) => {
          let text = piece.text.replaceAll(' ', replacement);
          const prepend = scheme === 'always' || (scheme === 'first' && piece.atStart);
          if (prepend && !text.startsWith(replacement)) text = replacement + text;
          const parts = split ? splitText(text, splitter, 'MergedWithNext') : [text];
          return parts.map((t, i) => ({ text: t, atStart: piece.atStart && i === 0 }));
        });
    }
    case 'WhitespaceSplit': {
      const ws = /\p{White_Space}+/gu;
      return (pieces) => splitPieces(pieces, (text) => splitText(text, ws, 'Removed'));
    }
    case 'Whitespace': {
      const words = /[\p{L}\p{M}\p{Nd}\p{Pc}]+|[^\p{L}\p{M}\p{Nd}\p{Pc}\p{White_Space}]+/gu;
      return (pieces) => splitPieces(pieces, (text) => splitText(text, words, 'Removed', true));
    }
    case 'Digits': {
      const digits = p.individual_digits === true ? /\p{N}/gu : /\p{N}+/gu;
      return (pieces) => splitPieces(pieces, (text) => splitText(text, digits, 'Isolated'));
    }
    case 'Punctuation': {
      const behavior = p.behavior === undefined ? 'Isolated' : behaviorOf(p.behavior, source, 'Punctuation');
      const punct = /\p{P}/gu;
      return (pieces) => splitPieces(pieces, (text) => splitText(text, punct, behavior));
    }
    case 'Sequence': {
      if (!Array.isArray(p.pretokenizers))
        invalidComponent(source, 'Sequence pre_tokenizer needs "pretokenizers"');
      const parts = p.pretokenizers
        .map((child) => buildPreTokenizer(child, source))
        .filter((f) => f !== undefined);
      return (pieces) => parts.reduce((acc, f) => f(acc), pieces);
    }
    default:
      return unknownComponent(source, 'pre_tokenizer', p);
  }
}
