/**
 * Checkpoints in the browser's origin private file system (OPFS), one directory per checkpoint under
 * a run's directory. OPFS has no atomic directory rename in every browser, so a checkpoint is made
 * whole by a manifest written last: `write` puts every file, then `checkpoint-complete.json` naming
 * them with their sizes; `list` returns only directories whose manifest is there, and `read` trusts
 * only the files the manifest names. A tab that dies mid-write leaves a directory without a manifest,
 * which `list` ignores and the next `write` of that name replaces.
 */
import type { CheckpointFiles, CheckpointStore } from './store';

/** The manifest file of a complete checkpoint (reserved: no checkpoint file may have this name). */
export const OPFS_COMPLETE_MARKER = 'checkpoint-complete.json';

interface Manifest {
  format: 'flan-ts-opfs-checkpoint/1';
  files: { name: string; bytes: number }[];
}

/** The part of the OPFS API this store uses (`FileSystemDirectoryHandle`), so tests can fake it. */
type DirectoryHandle = FileSystemDirectoryHandle & {
  values(): AsyncIterable<FileSystemHandle>;
};

/** Raised when a checkpoint is missing, incomplete, or holds a file that does not match its manifest. */
export class OpfsCheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpfsCheckpointError';
  }
}

function isNotFound(error: unknown): boolean {
  return (
    error instanceof DOMException && (error.name === 'NotFoundError' || error.name === 'TypeMismatchError')
  );
}

/** `a/b/c` → `['a', 'b', 'c']`, refusing empty, `.` and `..` parts (OPFS names are plain names). */
function pathParts(path: string): string[] {
  const parts = path.split('/');
  for (const p of parts) {
    if (p === '' || p === '.' || p === '..')
      throw new OpfsCheckpointError(`invalid file name ${JSON.stringify(path)}`);
  }
  return parts;
}

async function writeBytes(dir: FileSystemDirectoryHandle, name: string, bytes: Uint8Array): Promise<void> {
  const file = await dir.getFileHandle(name, { create: true });
  // createWritable is the window API (Chromium, Firefox); Safari offers only sync access handles, in workers.
  if ('createWritable' in file && typeof file.createWritable === 'function') {
    const writable = await file.createWritable();
    await writable.write(bytes as Uint8Array<ArrayBuffer>);
    await writable.close();
    return;
  }
  const handle = await (
    file as unknown as {
      createSyncAccessHandle(): Promise<{
        truncate(n: number): void;
        write(b: Uint8Array, o: { at: number }): number;
        flush(): void;
        close(): void;
      }>;
    }
  ).createSyncAccessHandle();
  try {
    handle.truncate(0);
    handle.write(bytes, { at: 0 });
    handle.flush();
  } finally {
    handle.close();
  }
}

async function readBytes(dir: FileSystemDirectoryHandle, name: string): Promise<Uint8Array> {
  const file = await (await dir.getFileHandle(name)).getFile();
  return new Uint8Array(await file.arrayBuffer());
}

/**
 * A {@link CheckpointStore} over an OPFS directory.
 *
 * @example
 * ```ts
 * const store = await OpfsCheckpointStore.open('runs/my-run');
 * await store.write('checkpoint-10', files);
 * await store.list(); // ['checkpoint-10']
 * ```
 */
export class OpfsCheckpointStore implements CheckpointStore {
  /**
   * @param root the run's directory; every direct subdirectory with a manifest is a checkpoint.
   * @param label where `root` is, for messages (`opfs:/runs/my-run`).
   */
  constructor(
    readonly root: FileSystemDirectoryHandle,
    readonly label = 'opfs:',
  ) {}

  /** The store at `path` (slash-separated, created if missing) under the origin's OPFS root. */
  static async open(path: string): Promise<OpfsCheckpointStore> {
    if (typeof navigator === 'undefined' || navigator.storage?.getDirectory === undefined) {
      throw new OpfsCheckpointError(
        'this browser has no origin private file system (navigator.storage.getDirectory)',
      );
    }
    let dir = await navigator.storage.getDirectory();
    for (const part of pathParts(path)) dir = await dir.getDirectoryHandle(part, { create: true });
    return new OpfsCheckpointStore(dir, `opfs:/${path}`);
  }

  /** Where checkpoint `name` is, for messages: `opfs:/<path>/<name>`. */
  describe(name: string): string {
    return `${this.label}/${name}`;
  }

  /** Writes every file of checkpoint `name`, then its manifest: it appears whole or not at all. */
  async write(name: string, files: CheckpointFiles): Promise<void> {
    pathParts(name);
    if (name.includes('/'))
      throw new OpfsCheckpointError(`checkpoint name ${JSON.stringify(name)} has a slash`);
    for (const file of files.keys()) {
      if (file === OPFS_COMPLETE_MARKER)
        throw new OpfsCheckpointError(`${file} is reserved for the manifest`);
      pathParts(file);
    }
    // An older checkpoint of this name, or the leftovers of a write that died, go first.
    await this.remove(name);
    const dir = await this.root.getDirectoryHandle(name, { create: true });
    const manifest: Manifest = { format: 'flan-ts-opfs-checkpoint/1', files: [] };
    for (const [path, bytes] of files) {
      const parts = pathParts(path);
      let parent = dir;
      for (const part of parts.slice(0, -1)) parent = await parent.getDirectoryHandle(part, { create: true });
      await writeBytes(parent, parts[parts.length - 1]!, bytes);
      manifest.files.push({ name: path, bytes: bytes.byteLength });
    }
    await writeBytes(dir, OPFS_COMPLETE_MARKER, new TextEncoder().encode(JSON.stringify(manifest)));
  }

  /** Names of the complete checkpoints, in natural order (`checkpoint-9` before `checkpoint-10`). */
  async list(): Promise<string[]> {
    const names: string[] = [];
    for await (const entry of (this.root as DirectoryHandle).values()) {
      if (entry.kind !== 'directory') continue;
      if ((await this.manifest(entry.name)) !== undefined) names.push(entry.name);
    }
    return names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  }

  /** The files of complete checkpoint `name`, as its manifest lists them. */
  async read(name: string): Promise<Map<string, Uint8Array>> {
    const manifest = await this.manifest(name);
    if (manifest === undefined)
      throw new OpfsCheckpointError(`no complete checkpoint ${JSON.stringify(name)}`);
    const dir = await this.root.getDirectoryHandle(name);
    const out = new Map<string, Uint8Array>();
    for (const { name: path, bytes } of manifest.files) {
      const parts = pathParts(path);
      let parent = dir;
      try {
        for (const part of parts.slice(0, -1)) parent = await parent.getDirectoryHandle(part);
        const data = await readBytes(parent, parts[parts.length - 1]!);
        if (data.byteLength !== bytes) {
          throw new OpfsCheckpointError(
            `${name}/${path} has ${data.byteLength} bytes, its manifest says ${bytes}`,
          );
        }
        out.set(path, data);
      } catch (error) {
        if (isNotFound(error)) throw new OpfsCheckpointError(`${name}/${path} is missing`);
        throw error;
      }
    }
    return out;
  }

  /** Deletes checkpoint `name` (nothing happens when there is none). */
  async remove(name: string): Promise<void> {
    try {
      await this.root.removeEntry(name, { recursive: true });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  private async manifest(name: string): Promise<Manifest | undefined> {
    let text: string;
    try {
      const dir = await this.root.getDirectoryHandle(name);
      text = new TextDecoder().decode(await readBytes(dir, OPFS_COMPLETE_MARKER));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as Manifest;
      return Array.isArray(parsed.files) ? parsed : undefined;
    } catch {
      // A manifest cut short is an incomplete checkpoint.
      return undefined;
    }
  }
}
