/** Browser-safe sources over text: a string in memory, or a URL streamed with `fetch`. */
import { DataLineError } from '../errors';
import { parseRecords, formatFromName, type TextFormat, type TextFormatOptions } from './formats';
import { splitLines, splitUtf8Lines } from './lines';
import type { RecordSource } from './source';

export type TextSourceOptions = Omit<TextFormatOptions, 'format'> & { format?: TextFormat };

function resolveFormat(name: string, options: TextSourceOptions): TextFormatOptions {
  const format = options.format ?? formatFromName(name);
  if (!format)
    throw new DataLineError(name, 0, 'cannot tell the format from the name; pass format: jsonl | csv | tsv');
  return { ...options, format };
}

/** A source over JSONL / CSV / TSV text held in memory (format from `format`, else the name, else JSONL). */
export function textSource(text: string, options: TextSourceOptions & { name?: string } = {}): RecordSource {
  const name = options.name ?? '<text>';
  const format = resolveFormat(name, {
    ...options,
    format: options.format ?? formatFromName(name) ?? 'jsonl',
  });
  return { name, open: () => parseRecords(splitLines([text]), name, format) };
}

/** A source streamed from a URL with `fetch` (re-fetched on every open). */
export function urlSource(
  url: string | URL,
  options: TextSourceOptions & { fetch?: typeof fetch } = {},
): RecordSource {
  const name = String(url);
  const format = resolveFormat(name, options);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  return {
    name,
    async *open() {
      const response = await fetchImpl(url);
      if (!response.ok || !response.body)
        throw new DataLineError(name, 0, `HTTP ${response.status} ${response.statusText}`);
      const body = response.body as unknown as AsyncIterable<Uint8Array>;
      yield* parseRecords(splitUtf8Lines(body), name, format);
    },
  };
}
