/**
 * One small interface over `worker_threads` (Node) and Web Workers (browsers). Browser-safe: Node's
 * module is reached through `process.getBuiltinModule` (Node >= 20.16), never imported, so bundlers
 * see no `node:` import.
 */

/** What the pool needs of a worker. */
export interface PoolWorker {
  postMessage(message: unknown): void;
  onMessage(handler: (data: unknown) => void): void;
  onError(handler: (error: Error) => void): void;
  terminate(): void;
  /** Lets the process exit while the worker lives (Node); no-op elsewhere. */
  unref(): void;
}

/** Starts a worker running `source` (plain JavaScript). */
export type WorkerSpawner = (source: string) => PoolWorker;

interface NodeWorker {
  postMessage(message: unknown): void;
  on(event: 'message', handler: (data: unknown) => void): void;
  on(event: 'error', handler: (error: Error) => void): void;
  terminate(): Promise<number>;
  unref(): void;
}

interface NodeWorkerThreads {
  Worker: new (source: string, options: { eval: boolean }) => NodeWorker;
}

function nodeWorkerThreads(): NodeWorkerThreads | undefined {
  const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof process?.getBuiltinModule !== 'function') return undefined;
  return process.getBuiltinModule('node:worker_threads') as NodeWorkerThreads | undefined;
}

function nodeSpawner(threads: NodeWorkerThreads): WorkerSpawner {
  return (source) => {
    const worker = new threads.Worker(source, { eval: true });
    return {
      postMessage: (message) => worker.postMessage(message),
      onMessage: (handler) => worker.on('message', handler),
      onError: (handler) => worker.on('error', handler),
      terminate: () => void worker.terminate(),
      unref: () => worker.unref(),
    };
  };
}

function webSpawner(): WorkerSpawner {
  return (source) => {
    const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    const worker = new Worker(url);
    URL.revokeObjectURL(url);
    return {
      postMessage: (message) => worker.postMessage(message),
      onMessage: (handler) => worker.addEventListener('message', (event) => handler(event.data)),
      onError: (handler) =>
        worker.addEventListener('error', (event) => handler(new Error(event.message || 'worker error'))),
      terminate: () => worker.terminate(),
      unref: () => undefined,
    };
  };
}

/** The spawner for this environment, or the reason there is none. */
export function defaultSpawner(): { spawn?: WorkerSpawner; reason?: string } {
  const g = globalThis as { process?: { versions?: { node?: string } } };
  if (typeof g.process?.versions?.node === 'string') {
    const threads = nodeWorkerThreads();
    if (threads === undefined) {
      return {
        reason: `Node ${g.process.versions.node} has no process.getBuiltinModule (Node >= 20.16 needed)`,
      };
    }
    return { spawn: nodeSpawner(threads) };
  }
  if (typeof Worker === 'undefined') return { reason: 'this context cannot start Web Workers' };
  return { spawn: webSpawner() };
}

/**
 * The default thread count: `FLAN_THREADS` when set (Node; like `OMP_NUM_THREADS`), else the number of
 * cores: `os.availableParallelism()` in Node, `navigator.hardwareConcurrency` elsewhere.
 */
export function defaultThreadCount(): number {
  const process = (
    globalThis as {
      process?: { getBuiltinModule?: (id: string) => unknown; env?: Record<string, string | undefined> };
    }
  ).process;
  const fromEnv = process?.env?.FLAN_THREADS;
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    const n = Number(fromEnv);
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`FLAN_THREADS must be a whole number >= 1, got "${fromEnv}"`);
    return n;
  }
  const os = process?.getBuiltinModule?.('node:os') as
    { availableParallelism?: () => number; cpus(): unknown[] } | undefined;
  if (os !== undefined) return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
    ?.hardwareConcurrency;
  return Math.max(1, cores ?? 1);
}
