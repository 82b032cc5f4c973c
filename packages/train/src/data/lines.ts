/**
 * Lines of text with their 1-based numbers, from a string, bytes, or a stream of either. Bytes are split on
 * "\n" before decoding and every line is decoded strictly (`TextDecoder('utf-8', { fatal: true })`), so invalid
 * UTF-8 is an error naming its line: text is never silently changed. Browser-safe.
 */
import { DataError } from './errors';

/** One line; `text` has no "\n" (and no trailing "\r"). */
export interface Line {
  text: string;
  line: number;
  /** Lenient reading only: why the line is unusable (its `text` is then empty). */
  error?: DataError;
}

/** What the line readers accept: whole text or bytes, or a stream of chunks (a fetch body, a Node stream). */
export type TextInput =
  string | Uint8Array | Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;

const NEWLINE = 0x0a;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function decodeLine(bytes: Uint8Array, source: string, line: number): string {
  try {
    // A fresh fatal decoder per line: a decoder that threw is left mid-sequence.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: line !== 1 }).decode(bytes);
  } catch {
    throw new DataError(source, line, 'invalid UTF-8');
  }
}

function stripCr(text: string): string {
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}

function checkString(text: string, source: string, line: number): string {
  // A string with a lone surrogate cannot have come from valid UTF-8 and cannot be tokenized faithfully.
  if (LONE_SURROGATE.test(text)) throw new DataError(source, line, 'text has an unpaired surrogate');
  return text;
}

function chunksOf(input: TextInput): Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array> {
  return typeof input === 'string' || input instanceof Uint8Array ? [input] : input;
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * The lines of `input`. A final line without "\n" is yielded; a final empty line is not. String and byte
 * chunks may be mixed; a line is decoded only once it is complete.
 */
export async function* readLines(
  input: TextInput,
  source: string,
  options: { lenient?: boolean } = {},
): AsyncGenerator<Line> {
  const lenient = options.lenient === true;
  /** A line's text, or with `lenient` the line with its error attached instead of a throw. */
  const make = (read: () => string, number: number): Line => {
    try {
      return { text: checkString(stripCr(read()), source, number), line: number };
    } catch (error) {
      if (lenient && error instanceof DataError) return { text: '', line: number, error };
      throw error;
    }
  };
  let line = 0;
  let pendingText = '';
  let pendingBytes: Uint8Array[] = [];
  let pendingLength = 0;
  const flushBytes = (): string => {
    const text = pendingLength === 0 ? '' : decodeLine(concat(pendingBytes, pendingLength), source, line + 1);
    pendingBytes = [];
    pendingLength = 0;
    return text;
  };
  for await (const chunk of chunksOf(input)) {
    if (typeof chunk === 'string') {
      pendingText += flushBytes() + chunk;
      let start = 0;
      for (let end = pendingText.indexOf('\n'); end >= 0; end = pendingText.indexOf('\n', start)) {
        line++;
        const text = pendingText.slice(start, end);
        yield make(() => text, line);
        start = end + 1;
      }
      pendingText = pendingText.slice(start);
      continue;
    }
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end >= 0; end = chunk.indexOf(NEWLINE, start)) {
      pendingBytes.push(chunk.subarray(start, end));
      pendingLength += end - start;
      const head = pendingText;
      pendingText = '';
      const line_ = line + 1;
      const result = make(() => head + flushBytes(), line_);
      pendingBytes = [];
      pendingLength = 0;
      line = line_;
      yield result;
      start = end + 1;
    }
    if (start < chunk.length) {
      // Copy: a stream may reuse its chunk buffer.
      pendingBytes.push(chunk.slice(start));
      pendingLength += chunk.length - start;
    }
  }
  if (pendingText !== '' || pendingLength > 0) {
    const head = pendingText;
    yield make(() => head + flushBytes(), line + 1);
  }
}
