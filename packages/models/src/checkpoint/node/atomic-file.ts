/**
 * Files that appear whole or not at all: written under a unique temporary name in the target's
 * folder, then renamed over the target (atomic on one filesystem). An interrupted download or
 * save leaves at most a `*.incomplete` file, never a short file under the real name.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function writeFileAtomic(
  target: string,
  write: (handle: FileHandle) => Promise<void>,
): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const temp = `${target}.${process.pid}.${randomUUID().slice(0, 8)}.incomplete`;
  const handle = await open(temp, 'w');
  try {
    await write(handle);
    await handle.close();
    await rename(temp, target);
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(temp, { force: true });
    throw error;
  }
}

/** Writes all of `bytes` (FileHandle.write may write less than asked). */
export async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done);
    done += bytesWritten;
  }
}
