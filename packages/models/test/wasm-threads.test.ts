import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index';
import { memoryLimits, withSharedMemory } from '../src/kernels/wasm/binary';
import { wasmBase64 as gemmBase64 } from '../src/kernels/wasm/generated/gemm';
import {
  MIN_PARALLEL_FLOPS,
  setMinParallelFlops,
  threadedGemmCalls,
} from '../src/kernels/wasm/gemm-threaded';
import { splitGemm, type GemmShape } from '../src/kernels/wasm/gemm-split';
import { kernelModuleBytes, wasmBackendInternals } from '../src/kernels/wasm/runtime';
import { computeGradients } from '../src/t5/gradients';
import { setNumThreads, threadStatus, threadsInUse } from '../src/threads/index';
import type * as ThreadsModule from '../src/threads/index';
import { fixtureDir, loadFixture, loadModel, referenceBatch, sameBits } from './t5-fixtures';

/** Every element of every product's C, covered by the parts: counts per C element offset. */
function coverage(shape: GemmShape, parts: ReturnType<typeof splitGemm>): Map<number, number> {
  const seen = new Map<number, number>();
  for (const list of parts) {
    for (const p of list) {
      for (let i = 0; i < p.m; i++) {
        for (let j = 0; j < p.n; j++) {
          const at = p.c + i * shape.ldc + j;
          seen.set(at, (seen.get(at) ?? 0) + 1);
        }
      }
    }
  }
  return seen;
}

function shapeOf(
  m: number,
  n: number,
  k: number,
  batches: number,
  transA = false,
  transB = false,
): GemmShape {
  return {
    m,
    n,
    k,
    lda: transA ? m : k,
    ldb: transB ? k : n,
    ldc: n,
    transA,
    transB,
    batches: Array.from({ length: batches }, (_, t) => ({ a: t * m * k, b: t * k * n, c: t * m * n })),
  };
}

describe('splitGemm: output blocks per thread', () => {
  it.each([
    [1, 1, 1, 1, 2],
    [5, 3, 7, 1, 2],
    [13, 9, 33, 3, 2],
    [300, 257, 513, 1, 3],
    [8, 3000, 64, 1, 2],
    [128, 128, 64, 64, 2],
    [7, 7, 7, 5, 4],
  ])('m %i n %i k %i x%i on %i threads: each element of C exactly once', (m, n, k, batches, threads) => {
    const shape = shapeOf(m, n, k, batches);
    const parts = splitGemm(shape, threads);
    expect(parts).toHaveLength(threads);
    const seen = coverage(shape, parts);
    expect(seen.size).toBe(m * n * batches);
    expect([...seen.values()].every((c) => c === 1)).toBe(true);
  });

  it('gives whole products to threads when they divide evenly, else cuts the longer side', () => {
    const heads = splitGemm(shapeOf(128, 128, 64, 64), 2);
    expect(heads.map((l) => l.length)).toEqual([32, 32]);
    expect(heads[1]![0]).toEqual({ a: 32 * 128 * 64, b: 32 * 64 * 128, c: 32 * 128 * 128, m: 128, n: 128 });
    const tall = splitGemm(shapeOf(300, 40, 16, 1), 2);
    expect(tall.map((l) => l.map((p) => [p.m, p.n]))).toEqual([[[152, 40]], [[148, 40]]]);
    expect(tall[1]![0]!.a).toBe(152 * 16);
    const wide = splitGemm(shapeOf(8, 3000, 64, 1), 2);
    expect(wide.map((l) => l.map((p) => [p.m, p.n]))).toEqual([[[8, 1504]], [[8, 1496]]]);
    expect(wide[1]![0]!.b).toBe(1504);
    // Transposed operands move by rows of the stored matrix.
    const tA = splitGemm(shapeOf(300, 40, 16, 1, true, false), 2);
    expect(tA[1]![0]!.a).toBe(152);
    const tB = splitGemm(shapeOf(8, 3000, 64, 1, false, true), 2);
    expect(tB[1]![0]!.b).toBe(1504 * 64);
  });
});

describe('shared memory', () => {
  it('marks a kernel module’s memory import shared, one flag byte, nothing else moved', () => {
    const bytes = kernelModuleBytes(gemmBase64);
    const [before] = memoryLimits(bytes);
    expect(before).toMatchObject({ kind: 'import', flags: 1 });
    const shared = withSharedMemory(bytes)!;
    expect(memoryLimits(shared)[0]).toMatchObject({ kind: 'import', flags: 3 });
    expect(shared.length).toBe(bytes.length);
    expect([...shared].filter((b, i) => b !== bytes[i])).toHaveLength(1);
    expect(WebAssembly.validate(shared)).toBe(true);
  });
});

/** Float32 products on `threads` threads, as raw arrays. */
function products(threads: number, cases: [number[], number[], boolean, boolean][]): Float32Array[] {
  return cases.map(([aShape, bShape, ta, tb], i) =>
    tf.tidy(() => {
      const a = tf.randomUniform(aShape, -1, 1, 'float32', 10 + i);
      const b = tf.randomUniform(bShape, -1, 1, 'float32', 100 + i);
      return tf.matMul(a, b, ta, tb).dataSync() as Float32Array;
    }),
  );
}

describe('threaded GEMM on the wasm backend', () => {
  beforeAll(async () => {
    await initBackend('wasm');
    await setNumThreads(2);
  });
  afterAll(async () => {
    setMinParallelFlops(MIN_PARALLEL_FLOPS);
    await setNumThreads(2);
  });

  it('runs on 2 threads over a shared heap', () => {
    const backend = wasmBackendInternals()!;
    expect(backend.wasm.asm!.memory!.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(threadsInUse()).toBe(2);
    expect(threadStatus()).toEqual({ requested: 2, inUse: 2 });
  });

  it('rejects a thread count that is not a whole number >= 1', () => {
    expect(() => setNumThreads(0)).toThrow(/setNumThreads: expected a whole number >= 1, got 0/);
    expect(() => setNumThreads(1.5)).toThrow(/got 1.5/);
  });

  it('gives the same bits on 2 threads as on 1: odd, tiny, wide, large, transposed, batched, broadcast', async () => {
    const cases: [number[], number[], boolean, boolean][] = [
      // Plain 2-D products under 64 rows go to XNNPACK (MIN_GEMM_ROWS): transposed ones reach ours.
      [[1, 1], [1, 1], true, false],
      [[3, 5], [3, 7], true, false],
      [[33, 13], [9, 33], true, true],
      [[300, 513], [513, 257], false, false],
      [[513, 300], [257, 513], true, true],
      [[8, 64], [3000, 64], false, true],
      [[3, 17, 9], [3, 9, 11], false, false],
      [[2, 1, 5, 8], [3, 8, 6], false, false],
      [[4, 128, 64], [4, 128, 64], false, true],
    ];
    // Split everything, however small, so the tiny products exercise the threaded path too.
    setMinParallelFlops(0);
    const before = tf.memory().numTensors;
    const callsBefore = threadedGemmCalls();
    const two = products(2, cases);
    expect(threadedGemmCalls() - callsBefore).toBe(cases.length);
    await setNumThreads(1);
    expect(threadsInUse()).toBe(1);
    const one = products(1, cases);
    await setNumThreads(2);
    expect(tf.memory().numTensors).toBe(before);
    cases.forEach((c, i) => expect(sameBits(two[i]!, one[i]!), JSON.stringify(c)).toBe(true));
  });

  it('shares one pool between separately bundled copies (the root and ./node entries)', async () => {
    // A second module instance, as tsup's two entries each bundle their own copy of threads/index.ts.
    const copyPath = '../src/threads/index.ts?second-copy';
    const copy = (await import(/* @vite-ignore */ copyPath)) as typeof ThreadsModule;
    expect(copy.setNumThreads).not.toBe(setNumThreads);
    expect(copy.threadsInUse()).toBe(2);
    await copy.setNumThreads(1);
    expect(threadsInUse()).toBe(1);
    await setNumThreads(2);
    expect(copy.threadStatus()).toEqual({ requested: 2, inUse: 2 });
  });

  it('keeps products below MIN_PARALLEL_FLOPS on the calling thread', () => {
    setMinParallelFlops(MIN_PARALLEL_FLOPS);
    const callsBefore = threadedGemmCalls();
    products(2, [[[64, 64], [64, 64], false, false]]);
    expect(threadedGemmCalls()).toBe(callsBefore);
    products(2, [[[256, 256], [256, 256], false, false]]);
    expect(threadedGemmCalls()).toBe(callsBefore + 1);
  });

  describe.skipIf(!fixtureDir('flan-t5-tiny'))('flan-t5-tiny', () => {
    it('forward logits and every gradient: the same bits on 2 threads as on 1', async () => {
      setMinParallelFlops(0);
      const model = loadModel('flan-t5-tiny');
      const batch = referenceBatch(loadFixture('flan-t5-tiny').reference);
      const before = tf.memory().numTensors;
      const run = () => {
        const logits = model.forward(batch);
        const { loss, grads } = computeGradients(model, batch);
        const out = {
          logits: logits.dataSync() as Float32Array,
          loss: loss.dataSync() as Float32Array,
          grads: new Map([...grads].map(([name, g]) => [name, g.dataSync() as Float32Array])),
        };
        tf.dispose([logits, loss, ...grads.values()]);
        return out;
      };
      const callsBefore = threadedGemmCalls();
      const two = run();
      expect(threadedGemmCalls() - callsBefore).toBeGreaterThan(20);
      await setNumThreads(1);
      const one = run();
      await setNumThreads(2);
      expect(tf.memory().numTensors).toBe(before);
      expect(sameBits(two.logits, one.logits)).toBe(true);
      expect(two.loss[0]).toBe(one.loss[0]);
      expect([...two.grads.keys()].sort()).toEqual([...one.grads.keys()].sort());
      const differing = [...two.grads]
        .filter(([name, g]) => !sameBits(g, one.grads.get(name)!))
        .map(([n]) => n);
      expect(differing).toEqual([]);
      tf.dispose(Object.values(batch));
      model.dispose();
    });
  });
});

describe('a process on 2 threads', () => {
  const script = join(__dirname, 'wasm-threads-exit.script.ts');
  const run = (...args: string[]) =>
    execFileSync(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: join(__dirname, '..'),
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, FLAN_THREADS: undefined },
    });

  it('exits on its own when done, without process.exit, with and without stopThreads', () => {
    for (const args of [[], ['stop']]) {
      const out = JSON.parse(run(...args)) as { status: unknown; threaded: number; sum: number };
      expect(out.status).toEqual({ requested: 2, inUse: 2 });
      expect(out.threaded).toBe(1);
      expect(Number.isFinite(out.sum)).toBe(true);
    }
  }, 120_000);
});
