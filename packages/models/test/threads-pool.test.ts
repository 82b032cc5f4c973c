/** The kernel pool's own contract: a worker that never finishes its share is reported, not waited on forever. */
import { describe, expect, it } from 'vitest';
import { KernelPool } from '../src/threads/pool';
import type { PoolWorker, WorkerSpawner } from '../src/threads/spawn';

/** A worker that says it is ready and then never serves a job (as one that died after starting). */
const silentSpawner: WorkerSpawner = () => {
  let onMessage: ((data: unknown) => void) | undefined;
  const worker: PoolWorker = {
    postMessage: () => queueMicrotask(() => onMessage?.({ ready: true })),
    onMessage: (handler) => (onMessage = handler),
    onError: () => undefined,
    terminate: () => undefined,
    unref: () => undefined,
  };
  return worker;
};

describe('KernelPool', () => {
  it('throws, names the worker and stops the pool when a share is not finished by the deadline', async () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const module = new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    const pool = await KernelPool.start(silentSpawner, 2, { gemm: module }, memory);
    expect(pool.failure).toBeUndefined();
    const started = Date.now();
    pool.dispatch(
      [
        { pointer: 0, count: 0 },
        { pointer: 0, count: 1 },
      ],
      200,
    );
    expect(() => pool.wait()).toThrow(
      'wasm kernels: kernel worker 1 did not finish its share in time (it may have died); the thread pool is stopped',
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(pool.failure).toMatch(/kernel worker 1 did not finish/);
    expect(() => pool.dispatch([])).toThrow('kernel pool is stopped');
  });
});
