/**
 * How many threads the wasm kernels use: `setNumThreads(n)` (as onnxruntime-web's `numThreads` or
 * PyTorch's `torch.set_num_threads`), the default being the number of cores. The pool is started once,
 * when the wasm backend is set up (or when the count changes), and runs the GEMM kernels'
 * output tiles; everything else runs on the calling thread.
 */
import { KernelPool } from './pool';
import { defaultSpawner, defaultThreadCount, type WorkerSpawner } from './spawn';

/** At most this many threads (the pool tracks running jobs in one 32-bit mask). */
export const MAX_THREADS = 32;

/** What the wasm kernels run on now. */
export interface ThreadStatus {
  /** The count asked for (`setNumThreads`, or the default: the number of cores). */
  requested: number;
  /** Threads in use: the calling thread plus the pool's workers (1 without a pool). */
  inUse: number;
  /** Why fewer threads are in use than requested, when they are. */
  reason?: string;
}

/** The GEMM module and the shared heap the workers instantiate it against. */
export interface ThreadTarget {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
}

let requested: number | undefined;
let target: ThreadTarget | undefined;
let unavailable: string | undefined = 'the wasm backend is not initialised (initBackend)';
let spawner: WorkerSpawner | undefined;
let pool: KernelPool | undefined;
let change: Promise<number> = Promise.resolve(1);

/** The pool the kernels split work over, or undefined when they run on one thread. */
export function currentPool(): KernelPool | undefined {
  return pool;
}

/** Threads the wasm kernels use now (1 when threads are unavailable; see `threadStatus`). */
export function threadsInUse(): number {
  return 1 + (pool?.size ?? 0);
}

/** The requested and the used thread count, and why they differ. */
export function threadStatus(): ThreadStatus {
  const want = requested ?? defaultThreadCount();
  const inUse = threadsInUse();
  return inUse < Math.min(want, MAX_THREADS) && unavailable !== undefined
    ? { requested: want, inUse, reason: unavailable }
    : { requested: want, inUse };
}

function checkCount(n: number): number {
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`setNumThreads: expected a whole number >= 1, got ${n}`);
  return Math.min(n, MAX_THREADS);
}

async function resize(n: number): Promise<number> {
  pool?.stop();
  pool = undefined;
  if (n <= 1 || target === undefined || spawner === undefined) return threadsInUse();
  try {
    pool = await KernelPool.start(spawner, n - 1, target.module, target.memory);
  } catch (error) {
    unavailable = `kernel workers failed to start: ${(error as Error).message}`;
  }
  return threadsInUse();
}

/**
 * Sets the number of threads of the wasm kernels (the calling thread included) and resolves to the
 * number in use: fewer when shared memory or workers are unavailable (`threadStatus().reason` says
 * why). Before the wasm backend is set up, it records the count for `initBackend`.
 *
 * @example
 * ```ts
 * await initBackend('wasm');
 * await setNumThreads(2);
 * ```
 */
export function setNumThreads(n: number): Promise<number> {
  const count = checkCount(n);
  requested = count;
  change = change.then(() => resize(count));
  return change;
}

/**
 * Called once the GEMM kernels are installed: `shared` is the module and the heap when the heap is a
 * `SharedArrayBuffer`, else undefined with the reason. Starts the pool at the requested size.
 */
export function enableThreads(shared: ThreadTarget | undefined, reason?: string): Promise<number> {
  target = shared;
  const found = defaultSpawner();
  spawner = found.spawn;
  unavailable = shared === undefined ? reason : found.reason;
  const count = checkCount(requested ?? defaultThreadCount());
  change = change.then(() => resize(count));
  return change;
}

/** Stops the workers (the kernels then run on the calling thread); `setNumThreads` starts them again. */
export function stopThreads(): void {
  pool?.stop();
  pool = undefined;
}
