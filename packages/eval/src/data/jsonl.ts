/** JSONL text to records, keeping 1-based line numbers so that a bad line can be named. */
import { DataLineError } from '../errors';

export interface JsonlRecord {
  /** 1-based line number in the source. */
  line: number;
  value: Record<string, unknown>;
}

/**
 * Parses JSONL text (`\n` line endings; a final newline is optional). Only `\n` splits lines: the
 * data writes U+2028 and friends escaped, but a raw one must not split a record.
 */
export function parseJsonl(text: string, source: string): JsonlRecord[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((raw, i) => {
    const line = i + 1;
    const textLine = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (textLine.trim() === '') throw new DataLineError(source, line, 'empty line (expected a JSON object)');
    let value: unknown;
    try {
      value = JSON.parse(textLine);
    } catch (error) {
      throw new DataLineError(source, line, `invalid JSON: ${(error as Error).message}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new DataLineError(source, line, 'expected a JSON object');
    return { line, value: value as Record<string, unknown> };
  });
}
