/** Node-only: example sources over JSONL files, streamed (never read whole) and re-opened each epoch. */
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { DataError } from './errors';
import {
  idJsonlExamples,
  textJsonlExamples,
  type ExampleSource,
  type TextToExample,
  type JsonlSourceOptions,
} from './sources';

/** The bytes of a file as a stream of chunks; a missing or unreadable file is a {@link DataError} naming it. */
export async function* fileChunks(path: string): AsyncGenerator<Uint8Array> {
  const stream = createReadStream(path);
  try {
    for await (const chunk of stream) yield chunk as Uint8Array;
  } catch (error) {
    throw new DataError(path, 0, `cannot read: ${(error as Error).message}`);
  } finally {
    stream.destroy();
  }
}

/** Fails early (before the first step) when a data file cannot be read. */
export async function checkReadable(path: string): Promise<void> {
  try {
    await access(path);
  } catch (error) {
    throw new DataError(path, 0, `cannot read: ${(error as Error).message}`);
  }
}

/** Examples from a JSONL file of `{inputs, targets}` texts (see {@link textJsonlExamples}). */
export function textJsonlFile(
  path: string,
  tokenizer: TextToExample,
  options: Omit<JsonlSourceOptions, 'name'> = {},
): ExampleSource {
  return textJsonlExamples(() => fileChunks(path), tokenizer, { ...options, name: path });
}

/** Examples from a JSONL file of `{input_ids, target_ids}` (see {@link idJsonlExamples}). */
export function idJsonlFile(
  path: string,
  options: Omit<JsonlSourceOptions, 'name'> & { vocabSize?: number } = {},
): ExampleSource {
  return idJsonlExamples(() => fileChunks(path), { ...options, name: path });
}
