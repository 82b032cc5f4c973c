/**
 * A kernel worker that dies mid-run, end to end on the wasm backend: the op that was waiting for it
 * throws and names it, the pool stops, later kernels give the same results on one thread, and
 * `threadStatus` says why; `setNumThreads` starts a fresh pool.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index';
import { setMinParallelFlops, MIN_PARALLEL_FLOPS } from '../src/kernels/wasm/gemm-threaded';
import { currentPool, setNumThreads, threadStatus, threadsInUse } from '../src/threads/index';
import { DEFAULT_STALL_MS, setStallMs } from '../src/threads/pool';
import type { PoolWorker } from '../src/threads/spawn';
import { sameBits } from './t5-fixtures';

describe('a kernel worker that dies', () => {
  beforeAll(async () => {
    await initBackend('wasm');
    await setNumThreads(2);
    setMinParallelFlops(0);
    setStallMs(300);
  });
  afterAll(async () => {
    setStallMs(DEFAULT_STALL_MS);
    setMinParallelFlops(MIN_PARALLEL_FLOPS);
    await setNumThreads(2);
  });

  it('fails the op waiting for it, then the kernels go on on one thread with the same results', async () => {
    const a = tf.randomUniform([96, 64], -1, 1, 'float32', 1);
    const b = tf.randomUniform([64, 80], -1, 1, 'float32', 2);
    // transposeB keeps the product on our kernel (plain 2-D products under 64 rows go to XNNPACK).
    const product = () =>
      tf.tidy(() => tf.matMul(a, tf.transpose(b), false, true).dataSync() as Float32Array);
    const onTwo = product();
    expect(threadsInUse()).toBe(2);

    const workers = (currentPool() as unknown as { workers: PoolWorker[] }).workers;
    workers[0]!.terminate();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const before = tf.memory().numTensors;
    const dataBefore = tf.engine().backend.numDataIds();
    expect(product).toThrow(
      'wasm kernels: kernel worker 0 did not finish its share in time (it may have died); the thread pool is stopped',
    );
    expect(tf.memory().numTensors).toBe(before);
    // The product's output, made before the wait failed, is freed too.
    expect(tf.engine().backend.numDataIds()).toBe(dataBefore);

    expect(threadsInUse()).toBe(1);
    expect(threadStatus()).toEqual({
      requested: 2,
      inUse: 1,
      reason: 'kernel worker 0 did not finish its share in time (it may have died)',
    });
    expect(sameBits(product(), onTwo)).toBe(true);

    await setNumThreads(2);
    expect(threadStatus()).toEqual({ requested: 2, inUse: 2 });
    expect(sameBits(product(), onTwo)).toBe(true);
    tf.dispose([a, b]);
  });
});
