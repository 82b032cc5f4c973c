/**
 * Checkpoints as directories on disk: `<out>/checkpoint-<step>/`. Each is written into a hidden
 * temporary directory and renamed when complete, so a crash never leaves a partial checkpoint under
 * the real name; leftovers of interrupted writes are swept by {@link DirectoryCheckpointStore.sweep}.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkpointStep, type CheckpointFiles, type CheckpointStore } from './store';

const INCOMPLETE = /^\.checkpoint-.*\.incomplete$/;

export class DirectoryCheckpointStore implements CheckpointStore {
  /** @param dir the run's output directory (created on the first write). */
  constructor(readonly dir: string) {}

  describe(name: string): string {
    return join(this.dir, name);
  }

  async write(name: string, files: CheckpointFiles): Promise<void> {
    const target = this.describe(name);
    const temp = join(this.dir, `.${name}.${process.pid}.${randomUUID().slice(0, 8)}.incomplete`);
    await mkdir(temp, { recursive: true });
    try {
      for (const [file, bytes] of files) await writeFile(join(temp, file), bytes);
      await rm(target, { recursive: true, force: true });
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { recursive: true, force: true });
      throw error;
    }
  }

  async list(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((n) => checkpointStep(n) !== undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  async read(name: string): Promise<Map<string, Uint8Array>> {
    const dir = this.describe(name);
    const files = new Map<string, Uint8Array>();
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isFile()) files.set(entry.name, new Uint8Array(await readFile(join(dir, entry.name))));
    }
    return files;
  }

  async remove(name: string): Promise<void> {
    await rm(this.describe(name), { recursive: true, force: true });
  }

  /** Deletes what interrupted writes left behind. */
  async sweep(): Promise<void> {
    const names = await readdir(this.dir).catch((): string[] => []);
    for (const name of names) {
      if (INCOMPLETE.test(name)) await rm(join(this.dir, name), { recursive: true, force: true });
    }
  }
}
