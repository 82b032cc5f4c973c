/**
 * Worker processes of a run (`--workers N`): N processes, worker i computing every N-th batch from
 * batch i (batches are planned identically in every process, so the numbers do not depend on N).
 * Each worker appends to its own cache file and tells the parent, over Node's IPC channel, how many
 * examples each finished batch held (for the progress bar) or why it failed (so the parent reports
 * the worker's one-line error instead of an exit code).
 */
import { spawn } from 'node:child_process';
import { EvalError } from '../errors';

/** Worker `index` of `count` takes batches index, index + count, index + 2·count, … */
export interface Shard {
  index: number;
  count: number;
}

/** How to start worker `shard`: a command (usually `process.execPath`) and its arguments. */
export type WorkerCommand = (shard: Shard) => { command: string; args: string[] };

/** A worker's message to its parent. */
export type WorkerMessage =
  { type: 'batch'; unit: number; examples: number } | { type: 'error'; message: string; option?: string };

/** Parses `i/n` (as `--shard` takes it). */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const shard = match && { index: Number(match[1]), count: Number(match[2]) };
  if (!shard || shard.count < 1 || shard.index >= shard.count)
    throw new EvalError(`expected i/n with 0 <= i < n, got "${text}"`, 'shard');
  return shard;
}

/** Whether a batch (numbered over the whole run) belongs to `shard` (all do without one). */
export function ownsBatch(shard: Shard | undefined, batchIndex: number): boolean {
  return shard === undefined || batchIndex % shard.count === shard.index;
}

/** In a worker: sends a message to the parent when there is one (a no-op otherwise). */
export function tellParent(message: WorkerMessage): void {
  process.send?.(message);
}

/**
 * Starts `count` workers and waits for all. `onBatch` hears of every batch a worker finished. A
 * failing worker rejects with its own error (an {@link EvalError} when it reported one); the other
 * workers are stopped.
 */
export async function runWorkerProcesses(
  count: number,
  command: WorkerCommand,
  onBatch?: (unit: number, examples: number) => void,
): Promise<void> {
  const children = Array.from({ length: count }, (_, index) => {
    const { command: file, args } = command({ index, count });
    return spawn(file, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  });
  try {
    await Promise.all(
      children.map(
        (child, index) =>
          new Promise<void>((resolve, reject) => {
            let reported: EvalError | undefined;
            child.on('message', (m: WorkerMessage) => {
              if (m.type === 'batch') onBatch?.(m.unit, m.examples);
              else reported = new EvalError(m.message, m.option);
            });
            child.on('error', reject);
            child.on('close', (code, signal) => {
              if (code === 0) resolve();
              else reject(reported ?? new Error(`worker ${index} exited with ${code ?? signal}`));
            });
          }),
      ),
    );
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill();
  }
}
