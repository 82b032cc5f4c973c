/**
 * Data sources: where a task's records come from. A source can be opened any number of times (each
 * epoch of a mixture re-opens it) and streams its records without loading the whole dataset.
 */
import { DataLineError } from '../errors';

/** One record with its origin, so later errors can name the file and line. */
export interface SourceRecord {
  value: Record<string, unknown>;
  /** Source name (file path, URL or a given name). */
  source: string;
  /** 1-based line (or record) number. */
  line: number;
}

/** What to do with a malformed line. */
export interface InvalidLinePolicy {
  /** `false` (default): a malformed line throws {@link DataLineError}. `true`: it is skipped and reported. */
  skipInvalid?: boolean;
  /** Called for every skipped line (with `skipInvalid`). */
  onInvalid?: (error: DataLineError) => void;
}

/** A re-openable stream of records. */
export interface RecordSource {
  readonly name: string;
  open(): AsyncIterable<SourceRecord>;
}

function asRecord(value: unknown, source: string, line: number): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DataLineError(source, line, 'expected an object record');
  }
  return value as Record<string, unknown>;
}

/** A source over records held in memory. */
export function arraySource(records: ReadonlyArray<Record<string, unknown>>, name = '<array>'): RecordSource {
  return {
    name,
    async *open() {
      let line = 0;
      for (const value of records) {
        line++;
        yield { value: asRecord(value, name, line), source: name, line };
      }
    },
  };
}

/**
 * A source over an iterable of records. Pass a function returning a fresh iterable when the data is
 * needed more than once (mixtures re-open sources every epoch); a generator or iterator can be opened
 * once only (a second open throws instead of yielding nothing).
 */
export function iterableSource(
  records:
    | (() => AsyncIterable<Record<string, unknown>> | Iterable<Record<string, unknown>>)
    | AsyncIterable<Record<string, unknown>>
    | Iterable<Record<string, unknown>>,
  name = '<iterable>',
): RecordSource {
  let opened = false;
  return {
    name,
    async *open() {
      let iterable: AsyncIterable<Record<string, unknown>> | Iterable<Record<string, unknown>>;
      if (typeof records === 'function') iterable = records();
      else {
        // A generator (sync or async) is its own iterator: a second pass would silently be empty.
        const oneShot = typeof (records as { next?: unknown }).next === 'function';
        if (oneShot && opened) {
          throw new DataLineError(
            name,
            0,
            'a generator or iterator cannot be re-opened; pass a function returning a new iterable',
          );
        }
        iterable = records;
      }
      opened = true;
      let line = 0;
      for await (const value of iterable) {
        line++;
        yield { value: asRecord(value, name, line), source: name, line };
      }
    },
  };
}

/** Counts a source's records by streaming through it once. */
export async function countRecords(source: RecordSource): Promise<number> {
  let n = 0;
  for await (const _ of source.open()) n++;
  return n;
}
