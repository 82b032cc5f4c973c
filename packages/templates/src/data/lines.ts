/** Splits a stream of text chunks into lines: on "\n" only (a trailing "\r" is removed). */

export interface Line {
  text: string;
  /** 1-based. */
  line: number;
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
