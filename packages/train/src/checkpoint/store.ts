/**
 * Where checkpoints live, as one small interface: a directory on disk in Node
 * (`DirectoryCheckpointStore` in `./node`), OPFS in the browser, memory in tests. A checkpoint is a
 * named set of files (`checkpoint-<step>`); the run's code writes, lists, reads and prunes them here
 * and never touches a file system itself, so a run resumes the same way in both places.
 */

/** A checkpoint's files by name (`model.safetensors`, `trainer_state.json`, ...). */
export type CheckpointFiles = ReadonlyMap<string, Uint8Array>;

export interface CheckpointStore {
  /** Writes every file of checkpoint `name` so that it appears whole or not at all (replacing one of that name). */
  write(name: string, files: CheckpointFiles): Promise<void>;
  /** The names of the complete checkpoints, in any order. */
  list(): Promise<string[]>;
  /** The files of checkpoint `name`; rejects when there is none. */
  read(name: string): Promise<Map<string, Uint8Array>>;
  /** Deletes checkpoint `name` (nothing when there is none). */
  remove(name: string): Promise<void>;
  /** Where checkpoint `name` is, for messages (a path, `opfs:/run/checkpoint-8`). */
  describe(name: string): string;
}

const NAME = /^checkpoint-(\d+)$/;

/** The checkpoint name of a step: `checkpoint-<step>`, as Hugging Face's Trainer names them. */
export const checkpointName = (step: number): string => `checkpoint-${step}`;

/** The step of a checkpoint name, or `undefined` for a name that is not one. */
export function checkpointStep(name: string): number | undefined {
  const m = NAME.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** The store's checkpoints, oldest first, as `[step, name]`. */
export async function checkpointsByStep(store: CheckpointStore): Promise<[number, string][]> {
  return (await store.list())
    .map((name) => [checkpointStep(name), name] as const)
    .filter((e): e is readonly [number, string] => e[0] !== undefined)
    .map(([step, name]): [number, string] => [step, name])
    .sort((a, b) => a[0] - b[0]);
}

/** The newest checkpoint's name, or `undefined` when the store holds none. */
export async function newestCheckpoint(store: CheckpointStore): Promise<string | undefined> {
  const all = await checkpointsByStep(store);
  return all[all.length - 1]?.[1];
}

/** Deletes all but the newest `keep` checkpoints. */
export async function pruneStore(store: CheckpointStore, keep: number): Promise<void> {
  const all = await checkpointsByStep(store);
  for (const [, name] of all.slice(0, Math.max(0, all.length - keep))) await store.remove(name);
}

/** Checkpoints in memory (tests, or a page that keeps them only for the session). */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly checkpoints = new Map<string, Map<string, Uint8Array>>();

  async write(name: string, files: CheckpointFiles): Promise<void> {
    this.checkpoints.set(name, new Map([...files].map(([f, b]) => [f, b.slice()])));
  }

  async list(): Promise<string[]> {
    return [...this.checkpoints.keys()];
  }

  async read(name: string): Promise<Map<string, Uint8Array>> {
    const files = this.checkpoints.get(name);
    if (files === undefined) throw new Error(`${this.describe(name)}: no such checkpoint`);
    return new Map(files);
  }

  async remove(name: string): Promise<void> {
    this.checkpoints.delete(name);
  }

  describe(name: string): string {
    return `memory:${name}`;
  }
}
