/**
 * How many threads the wasm kernels use: `setNumThreads(n)` (as onnxruntime-web's `numThreads` or
 * PyTorch's `torch.set_num_threads`), the default being the number of cores. The pool is started once,
 * when the wasm backend is set up (or when the count changes), and runs the GEMM kernels' output
 * tiles and the fused norms', activations' and softmax's row blocks; tfjs's own ops run on the calling
 * thread.
 */
import { KernelPool, type KernelModules } from './pool';
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

/** The kernel modules and the shared heap the workers instantiate them against. */
export interface ThreadTarget {
  modules: KernelModules;
  memory: WebAssembly.Memory;
}

/**
 * The pool and its settings, kept on `globalThis`: the package's entries (`@flan-ts/models` and
 * `@flan-ts/models/node`) are bundled separately, and `setNumThreads` from one must act on the pool the
 * other's `initNodeBackend` started (tfjs's kernel registry, which the kernels live in, is global too).
 */
interface SharedThreadState {
  requested: number | undefined;
  target: ThreadTarget | undefined;
  unavailable: string | undefined;
  spawner: WorkerSpawner | undefined;
  pool: KernelPool | undefined;
  change: Promise<number>;
  /** Whether the installed GEMM is the fused multiply-add build (set by `kernels/wasm/gemm.ts`). */
  fusedMultiplyAdd: boolean;
}

const STATE_KEY = Symbol.for('@flan-ts/models/wasm-threads');

function state(): SharedThreadState {
  const g = globalThis as unknown as Record<symbol, SharedThreadState | undefined>;
  g[STATE_KEY] ??= {
    requested: undefined,
    target: undefined,
    unavailable: 'the wasm backend is not initialised (initBackend)',
    spawner: undefined,
    pool: undefined,
    change: Promise.resolve(1),
    fusedMultiplyAdd: false,
  };
  return g[STATE_KEY];
}

/** Records which GEMM build is installed (read by `wasmUsesFusedMultiplyAdd` from either entry). */
export function setGemmFusedMultiplyAdd(fused: boolean): void {
  state().fusedMultiplyAdd = fused;
}

/** Whether the installed GEMM uses relaxed SIMD's fused multiply-add. */
export function gemmFusedMultiplyAdd(): boolean {
  return state().fusedMultiplyAdd;
}

/** The pool the kernels split work over, or undefined when they run on one thread. */
export function currentPool(): KernelPool | undefined {
  const s = state();
  if (s.pool?.failure !== undefined) {
    // A pool that lost a worker is stopped: the kernels go on on one thread, and say why.
    s.unavailable = s.pool.failure;
    s.pool = undefined;
  }
  return s.pool;
}

/** Threads the wasm kernels use now (1 when threads are unavailable; see `threadStatus`). */
export function threadsInUse(): number {
  return 1 + (currentPool()?.size ?? 0);
}

/** The requested and the used thread count, and why they differ. */
export function threadStatus(): ThreadStatus {
  const { requested, unavailable } = state();
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
  const s = state();
  s.pool?.stop();
  s.pool = undefined;
  if (n <= 1 || s.target === undefined || s.spawner === undefined) return threadsInUse();
  try {
    s.pool = await KernelPool.start(s.spawner, n - 1, s.target.modules, s.target.memory);
  } catch (error) {
    s.unavailable = `kernel workers failed to start: ${(error as Error).message}`;
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
  const s = state();
  s.requested = count;
  s.change = s.change.then(() => resize(count));
  return s.change;
}

/**
 * Called once the kernels are installed: `shared` is the modules and the heap when the heap is a
 * `SharedArrayBuffer`, else undefined with the reason. Starts the pool at the requested size.
 */
export function enableThreads(shared: ThreadTarget | undefined, reason?: string): Promise<number> {
  const s = state();
  s.target = shared;
  const found = defaultSpawner();
  s.spawner = found.spawn;
  s.unavailable = shared === undefined ? reason : found.reason;
  const count = checkCount(s.requested ?? defaultThreadCount());
  s.change = s.change.then(() => resize(count));
  return s.change;
}

/** Stops the workers (the kernels then run on the calling thread); `setNumThreads` starts them again. */
export function stopThreads(): void {
  const s = state();
  s.pool?.stop();
  s.pool = undefined;
}
