/**
 * A checkpoint held as bytes by file name: files a user dropped on a page, a checkpoint read back
 * from OPFS, or one built in memory by {@link checkpointToFiles}. Loads through the same
 * {@link loadFromStore} as a directory or a URL.
 */
import { loadAnyFromStore, type AnyLoadedCheckpoint } from './architecture';
import { loadFromStore, type LoadedCheckpoint } from './load';
import { parseSafetensors, readFloat32, type SafetensorsEntry } from './safetensors';
import type { CheckpointStore, SafetensorsReader } from './store';

/** The store over `files`; `label` names the checkpoint in errors (`<label>/config.json`). */
export function bytesStore(files: ReadonlyMap<string, Uint8Array>, label = '<files>'): CheckpointStore {
  const describe = (file: string) => `${label}/${file}`;
  return {
    describe,
    async readText(file) {
      const bytes = files.get(file);
      return bytes && new TextDecoder().decode(bytes);
    },
    async locate(file) {
      return files.has(file) ? describe(file) : undefined;
    },
    async openSafetensors(file) {
      const bytes = files.get(file);
      return bytes && safetensorsBytesReader(bytes, describe(file));
    },
  };
}

/** A reader over a whole safetensors file in memory. */
export function safetensorsBytesReader(bytes: Uint8Array, source: string): SafetensorsReader {
  const parsed = parseSafetensors(bytes, source);
  return {
    source,
    metadata: parsed.metadata,
    tensors: parsed.tensors,
    read: async (entry: SafetensorsEntry) => readFloat32(parsed, entry.name),
    close: async () => {},
  };
}

/**
 * Loads a T5 checkpoint from its files' bytes (`config.json`, `model.safetensors` or shards with
 * their index, optionally `generation_config.json`).
 *
 * @throws CheckpointError naming the file (and tensor) when a file is missing or corrupt.
 */
export function loadCheckpointFromFiles(
  files: ReadonlyMap<string, Uint8Array>,
  label?: string,
): Promise<LoadedCheckpoint> {
  return loadFromStore(bytesStore(files, label));
}

/** {@link loadCheckpointFromFiles} for any architecture: `config.json`'s `model_type` picks T5 or decoder-only. */
export function loadAnyCheckpointFromFiles(
  files: ReadonlyMap<string, Uint8Array>,
  label?: string,
): Promise<AnyLoadedCheckpoint> {
  return loadAnyFromStore(bytesStore(files, label));
}
