/**
 * Record formats of text sources: JSONL (one object per line), CSV (RFC 4180, header row, quoted
 * fields may span lines) and TSV (tab-separated, no quoting, as FLAN's CoT TSV files).
 */
import { DataLineError } from '../errors';
import type { InvalidLinePolicy, SourceRecord } from './source';
import type { Line } from './lines';

export type TextFormat = 'jsonl' | 'csv' | 'tsv';

export interface TextFormatOptions extends InvalidLinePolicy {
  format: TextFormat;
  /** CSV/TSV: column names when the file has no header row. */
  columns?: readonly string[];
}

/** Guesses the format from a file name or URL (`.jsonl`, `.csv`, `.tsv`). */
export function formatFromName(name: string): TextFormat | undefined {
  const path = name.replace(/[?#].*$/, '').toLowerCase();
  if (path.endsWith('.jsonl') || path.endsWith('.ndjson')) return 'jsonl';
  if (path.endsWith('.csv')) return 'csv';
  if (path.endsWith('.tsv')) return 'tsv';
  return undefined;
}

function parseJsonLine(text: string, source: string, line: number): Record<string, unknown> {
  if (text.trim() === '') throw new DataLineError(source, line, 'empty line (expected a JSON object)');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DataLineError(source, line, `invalid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DataLineError(source, line, 'expected a JSON object');
  }
  return value as Record<string, unknown>;
}

/** One CSV row: fields and whether a quoted field is still open at the end of the text. */
function parseCsvRow(text: string): { fields: string[]; open: boolean; error?: string } {
  const fields: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  let wasQuoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        if (i < text.length && text[i] !== ',')
          return { fields, open: false, error: 'unexpected character after closing quote' };
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === ',') {
      fields.push(field);
      field = '';
      wasQuoted = false;
      i++;
    } else if (c === '"' && field === '' && !wasQuoted) {
      quoted = true;
      wasQuoted = true;
      i++;
    } else if (c === '"') {
      return { fields, open: false, error: 'quote inside an unquoted field' };
    } else {
      field += c;
      i++;
    }
  }
  if (quoted) return { fields, open: true };
  fields.push(field);
  return { fields, open: false };
}

function zip(
  columns: readonly string[],
  fields: string[],
  source: string,
  line: number,
): Record<string, unknown> {
  if (fields.length !== columns.length) {
    throw new DataLineError(
      source,
      line,
      `expected ${columns.length} fields (${columns.join(', ')}), got ${fields.length}`,
    );
  }
  const record: Record<string, unknown> = {};
  columns.forEach((name, i) => (record[name] = fields[i]));
  return record;
}

/**
 * Parses lines into records. Malformed lines throw {@link DataLineError} naming source and line, or
 * with `skipInvalid` are passed to `onInvalid` and skipped.
 */
export async function* parseRecords(
  lines: AsyncIterable<Line>,
  source: string,
  options: TextFormatOptions,
): AsyncGenerator<SourceRecord> {
  let columns = options.columns;
  let pending: { text: string; line: number } | undefined;
  const fail = (error: DataLineError): void => {
    if (!options.skipInvalid) throw error;
    options.onInvalid?.(error);
  };
  for await (const { text, line, invalid } of lines) {
    try {
      if (invalid !== undefined) throw new DataLineError(source, line, invalid);
      if (options.format === 'jsonl') {
        yield { value: parseJsonLine(text, source, line), source, line };
        continue;
      }
      if (options.format === 'tsv') {
        const fields = text.split('\t');
        if (!columns) {
          columns = fields;
          continue;
        }
        yield { value: zip(columns, fields, source, line), source, line };
        continue;
      }
      // CSV: a quoted field may hold newlines, so a row can continue on the next lines.
      const rowText = pending ? `${pending.text}\n${text}` : text;
      const rowLine = pending ? pending.line : line;
      const row = parseCsvRow(rowText);
      if (row.open) {
        pending = { text: rowText, line: rowLine };
        continue;
      }
      pending = undefined;
      if (row.error) throw new DataLineError(source, rowLine, `malformed CSV: ${row.error}`);
      if (!columns) {
        columns = row.fields;
        continue;
      }
      yield { value: zip(columns, row.fields, source, rowLine), source, line: rowLine };
    } catch (error) {
      if (!(error instanceof DataLineError)) throw error;
      fail(error);
    }
  }
  if (pending) fail(new DataLineError(source, pending.line, 'malformed CSV: unterminated quoted field'));
}
