/**
 * The weight files of a Hugging Face checkpoint in any {@link CheckpointStore}, whatever the
 * architecture: one `model.safetensors`, or the shards `model.safetensors.index.json` lists (each
 * tensor must sit in the shard the index names). F16 and BF16 are widened to float32 on read.
 */
import { CheckpointError } from './errors';
import type { SafetensorsEntry } from './safetensors';
import type { CheckpointStore, SafetensorsReader } from './store';

export const WEIGHTS_FILE = 'model.safetensors';
export const WEIGHTS_INDEX_FILE = 'model.safetensors.index.json';

export interface OpenedWeights {
  readers: SafetensorsReader[];
  /** Every stored tensor by name, with the file it is in. */
  entries: Map<string, { reader: SafetensorsReader; entry: SafetensorsEntry }>;
  /** Paths or URLs of the files (the index first when sharded). */
  files: string[];
  /** The file errors about missing tensors name. */
  source: string;
  close(): Promise<void>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export async function openWeights(store: CheckpointStore): Promise<OpenedWeights> {
  const close = (readers: SafetensorsReader[]) => async () => {
    await Promise.all(readers.map((r) => r.close()));
  };
  const single = await store.openSafetensors(WEIGHTS_FILE);
  if (single) {
    const entries = new Map(
      [...single.tensors.values()].map((entry) => [entry.name, { reader: single, entry }]),
    );
    return {
      readers: [single],
      entries,
      files: [single.source],
      source: single.source,
      close: close([single]),
    };
  }
  const indexSource = store.describe(WEIGHTS_INDEX_FILE);
  const indexText = await store.readText(WEIGHTS_INDEX_FILE);
  if (indexText === undefined) {
    const hasBin = (await store.locate('pytorch_model.bin')) !== undefined;
    throw new CheckpointError(
      `not found, and neither is ${WEIGHTS_INDEX_FILE}` +
        (hasBin ? ': only pytorch_model.bin is there; convert it to safetensors' : ''),
      store.describe(WEIGHTS_FILE),
    );
  }
  let index: unknown;
  try {
    index = JSON.parse(indexText);
  } catch (error) {
    throw new CheckpointError(`is not valid JSON: ${(error as Error).message}`, indexSource);
  }
  const weightMap = isObject(index) ? index.weight_map : undefined;
  if (!isObject(weightMap)) throw new CheckpointError('has no "weight_map" object', indexSource);
  const shards = new Set<string>();
  for (const [name, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string' || shard === '' || shard.includes('..') || shard.startsWith('/')) {
      throw new CheckpointError(`weight_map names shard ${JSON.stringify(shard)}`, indexSource, name);
    }
    shards.add(shard);
  }
  const readers: SafetensorsReader[] = [];
  const byShard = new Map<string, SafetensorsReader>();
  try {
    for (const shard of shards) {
      const reader = await store.openSafetensors(shard);
      if (!reader)
        throw new CheckpointError(`shard listed in ${WEIGHTS_INDEX_FILE} not found`, store.describe(shard));
      readers.push(reader);
      byShard.set(shard, reader);
    }
    const entries: OpenedWeights['entries'] = new Map();
    for (const [name, shard] of Object.entries(weightMap) as [string, string][]) {
      const reader = byShard.get(shard)!;
      const entry = reader.tensors.get(name);
      if (!entry)
        throw new CheckpointError(
          `missing tensor (${WEIGHTS_INDEX_FILE} places it here)`,
          reader.source,
          name,
        );
      entries.set(name, { reader, entry });
    }
    // A tensor a shard holds but the index does not list is not part of the model as published.
    for (const reader of readers) {
      for (const name of reader.tensors.keys()) {
        if (entries.get(name)?.reader !== reader) {
          throw new CheckpointError(
            `is in the shard but ${WEIGHTS_INDEX_FILE} does not map it here`,
            reader.source,
            name,
          );
        }
      }
    }
    // Described again: a cache store knows the index's local path only once it is fetched.
    const index = store.describe(WEIGHTS_INDEX_FILE);
    return {
      readers,
      entries,
      files: [index, ...readers.map((r) => r.source)],
      source: index,
      close: close(readers),
    };
  } catch (error) {
    await close(readers)();
    throw error;
  }
}
