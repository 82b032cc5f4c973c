/** Splits a stream of text chunks into lines: on "\n" only (a trailing "\r" is removed). */

export interface Line {
  text: string;
  /** 1-based. */
  line: number;
  /** Set when the line's bytes are not valid UTF-8 (its `text` is then empty): a bad line, never repaired. */
  invalid?: string;
}

/** Lines of a chunk stream; a final line without "\n" is yielded, a final empty line is not. */
export async function* splitLines(chunks: AsyncIterable<string> | Iterable<string>): AsyncGenerator<Line> {
  let pending = '';
  let line = 0;
  for await (const chunk of chunks) {
    pending += chunk;
    let start = 0;
    for (;;) {
      const end = pending.indexOf('\n', start);
      if (end < 0) break;
      const text = pending.slice(start, end);
      line++;
      yield { text: text.endsWith('\r') ? text.slice(0, -1) : text, line };
      start = end + 1;
    }
    pending = pending.slice(start);
  }
  if (pending !== '') {
    line++;
    yield { text: pending.endsWith('\r') ? pending.slice(0, -1) : pending, line };
  }
}

/** Decodes a byte stream (fetch body, Node stream) as UTF-8 text chunks. */
export async function* decodeUtf8(bytes: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for await (const chunk of bytes) yield decoder.decode(chunk, { stream: true });
  const rest = decoder.decode();
  if (rest !== '') yield rest;
}

function utf8Line(parts: Uint8Array[], line: number): Line {
  let bytes: Uint8Array;
  if (parts.length === 1) bytes = parts[0]!;
  else {
    bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
  }
  try {
    // One fatal decoder per line, so an invalid sequence is reported at its line (and only a first-line BOM is dropped).
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: line !== 1 }).decode(bytes);
    return { text: text.endsWith('\r') ? text.slice(0, -1) : text, line };
  } catch {
    return { text: '', line, invalid: 'invalid UTF-8' };
  }
}

/**
 * Lines of a byte stream, split on "\n" before decoding; each line is decoded strictly, and one with
 * invalid UTF-8 comes with `invalid` set (parsers turn it into a {@link Line} error naming the line).
 */
export async function* splitUtf8Lines(bytes: AsyncIterable<Uint8Array>): AsyncGenerator<Line> {
  let pending: Uint8Array[] = [];
  let line = 0;
  for await (const chunk of bytes) {
    let start = 0;
    for (let end = chunk.indexOf(0x0a); end >= 0; end = chunk.indexOf(0x0a, start)) {
      pending.push(chunk.subarray(start, end));
      yield utf8Line(pending, ++line);
      pending = [];
      start = end + 1;
    }
    // Copy: a stream may reuse its chunk buffer.
    if (start < chunk.length) pending.push(chunk.slice(start));
  }
  if (pending.length > 0) yield utf8Line(pending, ++line);
}
