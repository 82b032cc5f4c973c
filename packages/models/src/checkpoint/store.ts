/**
 * Where the files of a checkpoint come from. The loader ({@link loadFromStore}) is written once
 * against this interface; a local directory, a URL, the hub through a cache are stores.
 */
import type { SafetensorsEntry } from './safetensors';

/** A safetensors file whose header is parsed; tensors are read one at a time. */
export interface SafetensorsReader {
  /** The file's path or URL, for errors. */
  readonly source: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly tensors: ReadonlyMap<string, SafetensorsEntry>;
  /** The tensor as float32 (F16/BF16 widened). */
  read(entry: SafetensorsEntry): Promise<Float32Array>;
  close(): Promise<void>;
}

export interface CheckpointStore {
  /** Path or URL of a file of the checkpoint, for errors. */
  describe(file: string): string;
  /** The file's text, or `undefined` when the checkpoint has no such file. */
  readText(file: string): Promise<string | undefined>;
  /** Path or URL where the caller can read the file, or `undefined` when there is none. */
  locate(file: string): Promise<string | undefined>;
  /** The opened file, or `undefined` when there is none. */
  openSafetensors(file: string): Promise<SafetensorsReader | undefined>;
}

/** A download in progress: `total` is undefined when the server does not say. */
export interface DownloadProgress {
  file: string;
  loaded: number;
  total: number | undefined;
}
