/**
 * Translates the Oniguruma regexes of `tokenizer.json` (what Hugging Face `tokenizers` compiles them
 * with) into JavaScript `RegExp`s with the same matches. The differences that matter for split
 * patterns: `\s`, `\d`, `\w` are Unicode-wide in Oniguruma but not all in JS (JS `\s` also has U+FEFF
 * and lacks U+0085); `(?i:...)` groups do not exist in Node 20; possessive quantifiers (`++`, `*+`,
 * `?+`) do not exist in JS and are emulated with the atomic-group idiom `(?=(X+))\k`.
 */
import { TokenizerError } from '../errors';

const WHITE_SPACE = '\\p{White_Space}';
const WORD = '\\p{L}\\p{M}\\p{Nd}\\p{Pc}';

/** Both cases of an ASCII letter, plus the non-ASCII letters Unicode case folding maps onto it. */
function caseVariants(ch: string): string {
  const lower = ch.toLowerCase();
  const upper = ch.toUpperCase();
  if (lower === upper) return ch;
  // U+017F (long s) folds to s and U+212A (Kelvin sign) to k, so Oniguruma's (?i) matches them too.
  const extra = lower === 's' ? '\u017f' : lower === 'k' ? '\u212a' : '';
  return lower + upper + extra;
}

/** Translates an Oniguruma pattern into JavaScript source for a `u`-flag RegExp. */
export function translateRegex(pattern: string): string {
  let out = '';
  let i = 0;
  let inClass = false;
  // For each open group: its start in `out` and whether it switched case-insensitivity on.
  const groups: { start: number; caseless: boolean }[] = [];
  let caseless = 0;
  let atomStart = -1;
  let atomic = 0;
  while (i < pattern.length) {
    const ch = pattern[i]!;
    const start = out.length;
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) throw new TokenizerError('INVALID_MODEL', `regex ends with "\\": ${pattern}`);
      i += 2;
      if (next === 's')
        out += WHITE_SPACE; // valid both inside and outside [...]
      else if (next === 'S') {
        if (inClass)
          throw new TokenizerError('UNSUPPORTED_MODEL', `\\S inside [...] is not supported: ${pattern}`);
        out += '\\P{White_Space}';
      } else if (next === 'd') out += '\\p{Nd}';
      else if (next === 'D') {
        if (inClass)
          throw new TokenizerError('UNSUPPORTED_MODEL', `\\D inside [...] is not supported: ${pattern}`);
        out += '\\P{Nd}';
      } else if (next === 'w') out += inClass ? WORD : `[${WORD}]`;
      else if (next === 'W') {
        if (inClass)
          throw new TokenizerError('UNSUPPORTED_MODEL', `\\W inside [...] is not supported: ${pattern}`);
        out += `[^${WORD}]`;
      } else if ((next === 'p' || next === 'P') && pattern[i] === '{') {
        const close = pattern.indexOf('}', i);
        out += `\\${next}${pattern.slice(i, close + 1)}`;
        i = close + 1;
      } else if (next === 'x' && pattern[i] === '{') {
        const close = pattern.indexOf('}', i);
        out += `\\u{${pattern.slice(i + 1, close)}}`;
        i = close + 1;
      } else if (/[A-Za-z0-9]/.test(next) || '\\^$.|?*+()[]{}/-'.includes(next)) {
        out += `\\${next}`;
      } else {
        // JS `u` mode rejects identity escapes of other characters; the character itself means the same.
        out += next;
      }
      if (!inClass) atomStart = start;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      if (caseless > 0 && /[A-Za-z]/.test(ch) && pattern[i - 1] !== '-' && pattern[i + 1] !== '-')
        out += caseVariants(ch);
      else out += ch;
      i += 1;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      atomStart = start;
      out += ch;
      if (pattern[i + 1] === '^') {
        out += '^';
        i += 1;
      }
      if (pattern[i + 1] === ']') {
        out += '\\]';
        i += 1;
      }
      i += 1;
      continue;
    }
    if (ch === '(') {
      const flagsMatch = /^\(\?([imx]*)(?:-([imx]*))?:/.exec(pattern.slice(i));
      if (flagsMatch && (flagsMatch[1] || flagsMatch[2])) {
        const on = flagsMatch[1]!.includes('i');
        groups.push({ start, caseless: on });
        if (on) caseless += 1;
        out += '(?:';
        i += flagsMatch[0].length;
        continue;
      }
      if (pattern.startsWith('(?i)', i)) {
        throw new TokenizerError('UNSUPPORTED_MODEL', `a global (?i) flag is not supported: ${pattern}`);
      }
      groups.push({ start, caseless: false });
      out += ch;
      i += 1;
      continue;
    }
    if (ch === ')') {
      const group = groups.pop();
      if (!group) throw new TokenizerError('INVALID_MODEL', `unbalanced ")" in regex: ${pattern}`);
      if (group.caseless) caseless -= 1;
      out += ch;
      atomStart = group.start;
      i += 1;
      continue;
    }
    if (ch === '*' || ch === '+' || ch === '?' || ch === '{') {
      let quantifier = ch;
      if (ch === '{') {
        const close = pattern.indexOf('}', i);
        quantifier = pattern.slice(i, close + 1);
      }
      i += quantifier.length;
      if (pattern[i] === '+' && atomStart >= 0) {
        // Possessive: match greedily and never give back, which an atomic group expresses.
        const name = `possessive${atomic++}`;
        const atom = out.slice(atomStart) + quantifier;
        out = `${out.slice(0, atomStart)}(?=(?<${name}>${atom}))\\k<${name}>`;
        i += 1;
      } else {
        out += quantifier;
        if (pattern[i] === '?') {
          out += '?';
          i += 1;
        }
      }
      atomStart = -1;
      continue;
    }
    atomStart = ch === '|' || ch === '^' || ch === '$' ? -1 : start;
    out += caseless > 0 && /[A-Za-z]/.test(ch) ? `[${caseVariants(ch)}]` : ch;
    i += 1;
  }
  return out;
}

/** Compiles a `tokenizer.json` regex as a global, Unicode JavaScript RegExp. */
export function compileRegex(pattern: string): RegExp {
  const source = translateRegex(pattern);
  try {
    return new RegExp(source, 'gu');
  } catch (error) {
    throw new TokenizerError(
      'UNSUPPORTED_MODEL',
      `regex ${JSON.stringify(pattern)} cannot be translated to JavaScript (${(error as Error).message})`,
    );
  }
}

/** Escapes a literal string for use inside a RegExp. */
export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}
