/**
 * A pool of kernel workers sharing the wasm heap. Started once (at backend set-up), it runs jobs
 * synchronously from the caller's point of view: `dispatch` wakes the workers through `Atomics.notify`,
 * the caller computes its own share, and `wait` blocks until every worker is done. No message is posted
 * per job, so a job costs a few microseconds of wake-up, not an event-loop turn.
 */
import { CONTROL_STRIDE, WORKER_SOURCE } from './worker-source';
import type { PoolWorker, WorkerSpawner } from './spawn';

/** Words of a worker's control block (Int32 indices from the block's start). */
const enum ControlWord {
  /** Incremented by the caller to start a job (the worker waits on it). */
  Generation = 0,
  /** Set by the worker to the generation it finished (the caller waits on it). */
  Done = 1,
  /** Byte offset of the job's entries in the heap. */
  JobPointer = 2,
  /** Number of entries. */
  Count = 3,
  /** Non-zero: leave the loop. */
  Stop = 4,
  /** Non-zero: an entry threw (the job's output is incomplete). */
  Failed = 5,
}

/** The compiled kernel modules a worker instantiates (`fused` is optional: its ops then fail). */
export interface KernelModules {
  gemm: WebAssembly.Module;
  fused?: WebAssembly.Module;
}

/** A worker's share of one job: `count` entries at byte `pointer` of the heap. */
export interface WorkerJob {
  pointer: number;
  count: number;
}

/** Whether this thread may block in `Atomics.wait` (a browser's main thread may not). */
function canBlock(control: Int32Array): boolean {
  try {
    Atomics.wait(control, 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** How long `wait` waits for a worker's share by default before taking the worker for dead. */
export const DEFAULT_STALL_MS = 120_000;

let shortestStallMs = DEFAULT_STALL_MS;

/** The least time a worker gets for a share before it is taken for dead (`DEFAULT_STALL_MS`). */
export function stallMs(): number {
  return shortestStallMs;
}

/** Test hook: shortens (or restores) `stallMs`, so that a test of a dead worker need not wait minutes. */
export function setStallMs(ms: number): void {
  shortestStallMs = ms;
}

export class KernelPool {
  private readonly control: Int32Array;
  private readonly blocking: boolean;
  private generation = 0;
  private pending = 0;
  private stopped = false;
  private deadline = 0;
  private failureReason: string | undefined;

  private constructor(
    private readonly workers: PoolWorker[],
    controlBuffer: SharedArrayBuffer,
  ) {
    this.control = new Int32Array(controlBuffer);
    this.blocking = canBlock(this.control);
  }

  /**
   * Starts `count` workers, each instantiating `modules` (the GEMM kernels, and the fused ones when
   * given) against `memory`, and resolves once all are ready. Rejects (and stops those started) when a
   * worker fails to start.
   */
  static async start(
    spawn: WorkerSpawner,
    count: number,
    modules: KernelModules,
    memory: WebAssembly.Memory,
  ): Promise<KernelPool> {
    const controlBuffer = new SharedArrayBuffer(Math.max(1, count) * CONTROL_STRIDE * 4);
    const workers: PoolWorker[] = [];
    const pool = new KernelPool(workers, controlBuffer);
    try {
      await Promise.all(
        Array.from({ length: count }, (_, slot) => {
          const worker = spawn(WORKER_SOURCE);
          workers.push(worker);
          return new Promise<void>((resolve, reject) => {
            worker.onError(reject);
            worker.onMessage((data) => {
              const message = data as { ready?: boolean; error?: string };
              if (message.ready === true) resolve();
              else reject(new Error(`kernel worker ${slot}: ${message.error ?? 'unexpected message'}`));
            });
            worker.postMessage({ memory, modules, control: controlBuffer, slot });
          });
        }),
      );
    } catch (error) {
      pool.stop();
      throw error;
    }
    // Idle workers must not keep a finished Node process alive.
    for (const worker of workers) worker.unref();
    return pool;
  }

  /** Number of workers (the caller's thread is one more). */
  get size(): number {
    return this.workers.length;
  }

  /** Why the pool stopped working (a worker that never finished a share), if it did. */
  get failure(): string | undefined {
    return this.failureReason;
  }

  /**
   * Starts `jobs[i]` on worker `i` (a job with no entries leaves that worker asleep); `wait` gives the
   * workers `stall` milliseconds (default `stallMs()`) to finish before it takes one for dead.
   */
  dispatch(jobs: readonly WorkerJob[], stall = stallMs()): void {
    if (this.stopped) throw new Error('kernel pool is stopped');
    if (this.pending !== 0) throw new Error('kernel pool: dispatch while a job is running');
    if (jobs.length > this.workers.length) throw new Error('kernel pool: more jobs than workers');
    this.generation = (this.generation + 1) | 0;
    this.deadline = Date.now() + stall;
    const c = this.control;
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i]!;
      if (job.count === 0) continue;
      const base = i * CONTROL_STRIDE;
      c[base + ControlWord.JobPointer] = job.pointer;
      c[base + ControlWord.Count] = job.count;
      c[base + ControlWord.Failed] = 0;
      Atomics.store(c, base + ControlWord.Generation, this.generation);
      Atomics.notify(c, base + ControlWord.Generation);
      this.pending |= 1 << i;
    }
  }

  /**
   * Blocks until every dispatched job is done; throws when one failed. A worker that has not finished
   * by the deadline is taken for dead (this thread cannot hear a worker's exit while it blocks): the
   * pool stops, `failure` says why, and the error says so rather than the caller hanging.
   */
  wait(): void {
    const c = this.control;
    let failed = false;
    for (let i = 0; this.pending !== 0; i++) {
      if ((this.pending & (1 << i)) === 0) continue;
      const done = i * CONTROL_STRIDE + ControlWord.Done;
      for (;;) {
        const seen = Atomics.load(c, done);
        if (seen === this.generation) break;
        const left = this.deadline - Date.now();
        if (left <= 0) {
          this.pending = 0;
          this.failureReason = `kernel worker ${i} did not finish its share in time (it may have died)`;
          this.stop();
          throw new Error(`wasm kernels: ${this.failureReason}; the thread pool is stopped`);
        }
        // A browser's main thread cannot block: spin (the workers' share is short).
        if (this.blocking) Atomics.wait(c, done, seen, Math.min(left, 1000));
      }
      if (c[i * CONTROL_STRIDE + ControlWord.Failed] !== 0) failed = true;
      this.pending &= ~(1 << i);
    }
    if (failed) throw new Error('wasm kernel failed in a worker thread');
  }

  /** Stops and terminates the workers. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    const c = this.control;
    for (let i = 0; i < this.workers.length; i++) {
      const base = i * CONTROL_STRIDE;
      Atomics.store(c, base + ControlWord.Stop, 1);
      Atomics.add(c, base + ControlWord.Generation, 1);
      Atomics.notify(c, base + ControlWord.Generation);
    }
    for (const worker of this.workers) worker.terminate();
  }
}
