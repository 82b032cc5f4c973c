/**
 * Safetensors from disk without holding the file: the header is read and checked first, then each
 * tensor's bytes are read by position straight into the Float32Array that will hold it. Peak memory
 * is one copy of the weights (plus one tensor's bytes for F16/BF16, which must be widened).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { CheckpointError } from '../errors';
import {
  parseSafetensorsHeader,
  readHeaderLength,
  widenToFloat32,
  type SafetensorsEntry,
} from '../safetensors';
import type { SafetensorsReader } from '../store';

/** Node reads at most 2 GiB per call; tensors can be larger. */
const MAX_READ = 1 << 30;

async function readExactly(
  handle: FileHandle,
  into: Uint8Array,
  position: number,
  path: string,
  what?: string,
) {
  let done = 0;
  while (done < into.byteLength) {
    const length = Math.min(MAX_READ, into.byteLength - done);
    const { bytesRead } = await handle.read(into, done, length, position + done);
    if (bytesRead === 0) {
      throw new CheckpointError(
        `file ended at byte ${position + done} (truncated while reading?)`,
        path,
        what,
      );
    }
    done += bytesRead;
  }
}

export async function openSafetensorsFile(path: string): Promise<SafetensorsReader> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new CheckpointError(`cannot open: ${(error as Error).message}`, path);
  }
  try {
    const { size } = await handle.stat();
    const prefix = new Uint8Array(8);
    if (size >= 8) await readExactly(handle, prefix, 0, path);
    const headerLength = readHeaderLength(prefix, size, path);
    const headerBytes = new Uint8Array(headerLength);
    await readExactly(handle, headerBytes, 8, path);
    const { metadata, tensors } = parseSafetensorsHeader(headerBytes, size - 8 - headerLength, path);
    const file = handle;
    return {
      source: path,
      metadata,
      tensors,
      async read(entry: SafetensorsEntry): Promise<Float32Array> {
        if (entry.dtype === 'F32') {
          const out = new Float32Array(entry.byteLength / 4);
          await readExactly(file, new Uint8Array(out.buffer), entry.byteOffset, path, entry.name);
          return out;
        }
        const raw = new Uint8Array(entry.byteLength);
        await readExactly(file, raw, entry.byteOffset, path, entry.name);
        return widenToFloat32(entry.dtype, raw);
      },
      close: () => file.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
