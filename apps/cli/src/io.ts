/**
 * Line-oriented input and output shared by every `flan` command: input comes from `--input FILE` or
 * stdin, one record per line; a bad line names its source and line number, and with `--skip-invalid`
 * it is counted and reported instead of ending the run.
 */
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';

export interface InputLine {
  /** 1-based line number in the source. */
  lineNumber: number;
  text: string;
  /** Why the line could not be read as text (invalid UTF-8); `text` is then empty. */
  invalid?: string;
}

/** An error the user caused (bad flags, bad files, bad lines): printed without a stack trace. */
export class CliError extends Error {
  override name = 'CliError';
}

/** A problem with one input line; `runLines` adds the source name and line number. */
export class InvalidLineError extends Error {
  override name = 'InvalidLineError';
}

export function inputName(input: string | undefined): string {
  return input ?? '<stdin>';
}

// Strict: a byte sequence that is not UTF-8 is an error naming its line, never silently replaced or
// dropped. `ignoreBOM` keeps a U+FEFF as text, as readline did, instead of eating one per line.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes one line's bytes strictly; an invalid sequence is reported with its byte offset. */
function decodeLine(bytes: Uint8Array): { text: string } | { invalid: string } {
  try {
    return { text: utf8.decode(bytes) };
  } catch {
    // Find the first bad byte for the message: the longest prefix that decodes.
    let good = 0;
    for (let end = 1; end <= bytes.length; end++) {
      try {
        utf8.decode(bytes.subarray(0, end));
        good = end;
      } catch {
        /* keep looking: a multi-byte character may complete later */
      }
    }
    return { invalid: `invalid UTF-8 at byte ${good + 1} of the line` };
  }
}

/**
 * The lines of `--input FILE` or stdin, decoded strictly as UTF-8. Lines end at `\n`, `\r\n` or a
 * lone `\r` (as readline did). A line that is not valid UTF-8 comes with `invalid` set, so that
 * `runLines` reports it as `<file>:<line>` (or counts it under `--skip-invalid`).
 */
export async function* readInputLines(input: string | undefined): AsyncGenerator<InputLine> {
  const stream = input ? createReadStream(input) : process.stdin;
  if (input) {
    // Surface a missing file as a CliError before the stream reports a generic error.
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (error: Error) => reject(new CliError(`cannot read ${input}: ${error.message}`)));
    });
  }
  let lineNumber = 0;
  let pending: Uint8Array = new Uint8Array(0);
  function* emit(bytes: Uint8Array): Generator<InputLine> {
    const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
    const decoded = decodeLine(bytes.subarray(0, end));
    if ('invalid' in decoded) {
      lineNumber += 1;
      yield { lineNumber, text: '', invalid: decoded.invalid };
      return;
    }
    for (const text of decoded.text.split('\r')) {
      lineNumber += 1;
      yield { lineNumber, text };
    }
  }
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : new Uint8Array(chunk);
    let data = bytes;
    if (pending.length > 0) {
      data = new Uint8Array(pending.length + bytes.length);
      data.set(pending);
      data.set(bytes, pending.length);
    }
    let start = 0;
    for (let i = data.indexOf(0x0a); i >= 0; i = data.indexOf(0x0a, start)) {
      yield* emit(data.subarray(start, i));
      start = i + 1;
    }
    pending = data.slice(start);
  }
  if (pending.length > 0) yield* emit(pending);
}

/** Writes to stdout respecting back-pressure; a closed pipe (`flan ... | head`) ends the process quietly. */
export async function writeOut(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

/** Adds the options every line-reading command shares: `--input FILE` and `--skip-invalid`. */
export function lineInputOptions(command: Command): Command {
  return command
    .option('--input <file>', 'read lines from this file instead of stdin')
    .option('--skip-invalid', 'report bad input lines on stderr, count them and go on instead of stopping');
}

export interface RunLinesOptions {
  input?: string;
  skipInvalid?: boolean;
  /** Turns one input line into output lines (without newlines); throws InvalidLineError for bad input. */
  handle: (line: InputLine) => Promise<string | string[] | undefined> | string | string[] | undefined;
}

export interface RunLinesResult {
  processed: number;
  skipped: number;
}

export async function runLines(options: RunLinesOptions): Promise<RunLinesResult> {
  const source = inputName(options.input);
  let processed = 0;
  let skipped = 0;
  for await (const line of readInputLines(options.input)) {
    let output: string | string[] | undefined;
    try {
      if (line.invalid !== undefined) throw new InvalidLineError(line.invalid);
      output = await options.handle(line);
    } catch (error) {
      if (error instanceof CliError) throw error; // the run's failure, not this line's
      const message = `${source}:${line.lineNumber}: ${error instanceof Error ? error.message : String(error)}`;
      if (!options.skipInvalid) throw new CliError(message);
      skipped += 1;
      process.stderr.write(`skipped ${message}\n`);
      continue;
    }
    processed += 1;
    if (output === undefined) continue;
    for (const out of Array.isArray(output) ? output : [output]) await writeOut(out + '\n');
  }
  if (skipped > 0)
    process.stderr.write(`skipped ${skipped} invalid line(s) of ${processed + skipped} in ${source}\n`);
  return { processed, skipped };
}

/**
 * Runs work over a batch of lines that were each validated already. A failure there (the model's,
 * say) is not any one line's fault, so it ends the run, naming the lines, instead of being skipped.
 */
export async function runBatch<T>(
  input: string | undefined,
  lineNumbers: readonly number[],
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const span = `${lineNumbers[0]}${lineNumbers.length > 1 ? `-${lineNumbers[lineNumbers.length - 1]}` : ''}`;
    throw new CliError(
      `${inputName(input)}:${span}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

export interface BatchedLinesOptions<T> {
  input?: string;
  skipInvalid?: boolean;
  /** A batch runs once its items' sizes add up to this. */
  batchSize: number;
  /** Validates one line and turns it into a work item; throws for a bad line. */
  prepare: (line: InputLine) => T;
  /** How much an item counts towards `batchSize` (default 1). */
  sizeOf?: (item: T) => number;
  /** Runs a batch; returns one output line per item, in order. */
  run: (items: T[]) => Promise<string[]>;
}

/**
 * {@link runLines} for work that is cheaper in batches (model calls): lines are validated one by one
 * as they arrive, then run together, and the output keeps the input's order.
 */
export async function runBatchedLines<T>(options: BatchedLinesOptions<T>): Promise<RunLinesResult> {
  let pending: { lineNumber: number; item: T }[] = [];
  let pendingSize = 0;
  const flush = async (): Promise<string[]> => {
    if (pending.length === 0) return [];
    const batch = pending;
    pending = [];
    pendingSize = 0;
    return runBatch(
      options.input,
      batch.map((p) => p.lineNumber),
      () => options.run(batch.map((p) => p.item)),
    );
  };
  const result = await runLines({
    input: options.input,
    skipInvalid: options.skipInvalid,
    handle: async (line) => {
      const item = options.prepare(line);
      pending.push({ lineNumber: line.lineNumber, item });
      pendingSize += options.sizeOf?.(item) ?? 1;
      return pendingSize >= options.batchSize ? await flush() : undefined;
    },
  });
  for (const out of await flush()) await writeOut(out + '\n');
  return result;
}

// Characters some line splitters (JavaScript's, Python's str.splitlines) treat as line breaks, or that
// editors strip: escaped so that one record stays one physical line for every reader.
const LINE_BREAKING = /[\u0085\u2028\u2029\ufeff]/g;

/** One JSONL record: `JSON.stringify` with line-breaking characters escaped as `\uXXXX`. */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(
    LINE_BREAKING,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Parses a JSONL line that must hold a JSON object. */
export function parseJsonObject(line: InputLine): Record<string, unknown> {
  if (line.text.trim() === '') throw new InvalidLineError('empty line (expected a JSON object)');
  let value: unknown;
  try {
    value = JSON.parse(line.text);
  } catch (error) {
    throw new InvalidLineError(`invalid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidLineError('expected a JSON object');
  }
  return value as Record<string, unknown>;
}

type FieldKind = 'string' | 'number' | 'object' | 'string[]' | 'number[]';

/** Reads a typed field of a JSONL record, naming the field when it is missing or of the wrong type. */
export function field<T>(record: Record<string, unknown>, name: string, kind: FieldKind): T {
  if (!(name in record)) throw new InvalidLineError(`missing field "${name}"`);
  const value = record[name];
  const ok =
    kind === 'string[]'
      ? Array.isArray(value) && value.every((v) => typeof v === 'string')
      : kind === 'number[]'
        ? Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isFinite(v))
        : kind === 'object'
          ? value !== null && typeof value === 'object' && !Array.isArray(value)
          : typeof value === kind;
  if (!ok)
    throw new InvalidLineError(`field "${name}" must be ${kind === 'object' ? 'an object' : `a ${kind}`}`);
  return value as T;
}
