/** The answer span rule BBH shares between its CoT and direct formats (`data/eval/README.md` §2). */
import { pyStrip, PY_WHITESPACE } from '../python';

const SENTENCE_END = new RegExp(`\\.(?=[${PY_WHITESPACE}]|$)`, 'u');

/** The text up to the first `.` followed by whitespace or the end of the line, stripped. */
export function answerSpan(line: string): string {
  const end = SENTENCE_END.exec(line);
  return pyStrip(end === null ? line : line.slice(0, end.index));
}

/** `text` cut at its first blank line (`\n\n`): a CoT output must not run into an invented next question. */
export function cutAtBlankLine(text: string): string {
  const at = text.indexOf('\n\n');
  return at < 0 ? text : text.slice(0, at);
}

/** The first line of `text`. */
export function firstLine(text: string): string {
  const at = text.indexOf('\n');
  return at < 0 ? text : text.slice(0, at);
}
