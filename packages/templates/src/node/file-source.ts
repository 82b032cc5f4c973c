/** Node-only: records streamed from JSONL / CSV / TSV files. */
import { createReadStream } from 'node:fs';
import { DataLineError } from '../errors';
import { formatFromName, parseRecords } from '../data/formats';
import { splitUtf8Lines } from '../data/lines';
import type { RecordSource } from '../data/source';
import type { TextSourceOptions } from '../data/text-sources';

/**
 * A source reading a file line by line on every open (never whole). The format comes from the
 * extension unless given.
 */
export function fileSource(path: string, options: TextSourceOptions = {}): RecordSource {
  const format = options.format ?? formatFromName(path);
  if (!format)
    throw new DataLineError(
      path,
      0,
      'cannot tell the format from the extension; pass format: jsonl | csv | tsv',
    );
  return {
    name: path,
    async *open() {
      const stream = createReadStream(path);
      await new Promise<void>((resolve, reject) => {
        stream.once('open', () => resolve());
        stream.once('error', (error) => reject(new DataLineError(path, 0, `cannot read: ${error.message}`)));
      });
      try {
        yield* parseRecords(splitUtf8Lines(stream), path, { ...options, format });
      } finally {
        stream.destroy();
      }
    },
  };
}
