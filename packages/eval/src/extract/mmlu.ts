/**
 * MMLU letter extraction (`data/eval/README.md` §2): `(x)` of any case or a bare capital A–D not
 * followed by a letter or digit; after "answer is" for CoT, at the start of the output for direct.
 */
import { cutAtBlankLine, firstLine } from './answer-span';

const LETTER = /^(?:\(([A-Da-d])\)|([A-D])(?![\p{L}\p{N}]))/u;

function letterAt(text: string): string | undefined {
  const m = LETTER.exec(text);
  return m === null ? undefined : (m[1] ?? m[2])!.toUpperCase();
}

/** `(X)` after the first "answer is" that is followed by a letter answer, else `""`. */
export function extractMmluCot(output: string): string {
  const text = cutAtBlankLine(output);
  for (const hit of text.matchAll(/answer is/gi)) {
    const rest = text.slice(hit.index + hit[0].length).replace(/^\s+/u, '');
    const letter = letterAt(rest);
    if (letter !== undefined) return `(${letter})`;
  }
  return '';
}

/** `(X)` at the start of the first line (after leading whitespace), else `""`. */
export function extractMmluDirect(output: string): string {
  const letter = letterAt(firstLine(output).replace(/^\s+/u, ''));
  return letter === undefined ? '' : `(${letter})`;
}

/** `direct_hendrycks`: the bare letter. */
export function extractMmluHendrycks(output: string): string {
  return extractMmluDirect(output).replace(/[()]/g, '');
}
