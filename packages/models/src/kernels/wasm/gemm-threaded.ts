/**
 * The GEMM kernels split over the thread pool (`threads/`): which families are worth splitting, and the
 * job table the workers read. The split itself is `gemm-split.ts`; the kernel bindings are `gemm.ts`.
 */
import { currentPool } from '../../threads/index';
import { stallMs } from '../../threads/pool';
import { ENTRY_WORDS, GEMM_OP } from '../../threads/worker-source';
import type { GemmExports, GemmSpec } from './gemm';
import { splitGemm } from './gemm-split';
import { withScratch, type WasmBackendInternals } from './runtime';

/**
 * Below this many floating-point operations (`2·m·n·k` summed over the batch) a product runs on the
 * calling thread. Waking a worker sleeping in `Atomics.wait` and waiting for it costs ~50-80 µs on this
 * 2-core VM (`bench/thread-break-even.ts`, pool kept up: 32 x 16 x 32 takes 13 µs on one thread, 67-95 µs
 * split). Two runs at load 1.2-1.3 put the break-even at 2^22-2^23 (2^23 = 203 x 102 x 203: 244 vs 189 µs,
 * 1.29x) and at 2^24-2^25 (2^25: 1.57-1.66x); under load 6.3 no size up to 2^25 won (0.92x). 2^23 splits
 * T5-small's projections and its per-head attention products at 128 tokens, not decoding's few rows.
 * Spinning before sleeping (tried: 50-200 µs) cut the idle-machine cost to ~5 µs but made waits of
 * 400+ µs whenever another process held a core, so workers do not spin.
 */
export const MIN_PARALLEL_FLOPS = 2 ** 23;

let minParallelFlops = MIN_PARALLEL_FLOPS;
let threadedCalls = 0;

/** Test and benchmark hook: the flop count from which products are split (`MIN_PARALLEL_FLOPS`). */
export function setMinParallelFlops(flops: number): void {
  minParallelFlops = flops;
}

/** Test hook: how many GEMM families have run split over the pool so far. */
export function threadedGemmCalls(): number {
  return threadedCalls;
}

/** Bytes of scratch per thread, rounded so that each thread's block starts on a cache line. */
function roundScratch(bytes: number): number {
  return (bytes + 63) & ~63;
}

/**
 * `runGemm` over the pool, when there is one and the family has `MIN_PARALLEL_FLOPS` or more (else
 * false, and nothing ran): the output is split into blocks (`splitGemm`), thread 0 (the caller) runs
 * its own blocks directly and the workers read theirs from a job table in the heap. One allocation
 * holds the table and every thread's scratch.
 */
export function runGemmThreaded(
  backend: WasmBackendInternals,
  g: GemmExports,
  aBase: number,
  bBase: number,
  cBase: number,
  spec: GemmSpec,
): boolean {
  const pool = currentPool();
  const flops = 2 * spec.m * spec.n * spec.k * spec.batches.length;
  if (pool === undefined || flops < minParallelFlops || spec.k <= 0) return false;
  threadedCalls++;
  const threads = pool.size + 1;
  const parts = splitGemm(spec, threads);
  const scratchBytes = parts.map((list) =>
    roundScratch(list.reduce((most, p) => Math.max(most, g.gemmScratchBytes(p.m, p.n, spec.k)), 0)),
  );
  const entries = parts.reduce((sum, list, t) => sum + (t === 0 ? 0 : list.length), 0);
  const tableBytes = roundScratch(entries * ENTRY_WORDS * 4);
  const total = tableBytes + scratchBytes.reduce((x, y) => x + y, 0);
  withScratch(backend, total, (block) => {
    // Views of the heap are taken after the allocation, which may have grown it.
    const heap = new Uint32Array(backend.wasm.asm!.memory!.buffer);
    const scratchOf: number[] = [];
    let scratch = block + tableBytes;
    for (const bytes of scratchBytes) {
      scratchOf.push(scratch);
      scratch += bytes;
    }
    const jobs = [];
    let entry = block;
    for (let t = 1; t < threads; t++) {
      const list = parts[t]!;
      jobs.push({ pointer: entry, count: list.length });
      for (const p of list) {
        const w = entry >>> 2;
        heap[w] = GEMM_OP;
        heap[w + 1] = aBase + 4 * p.a;
        heap[w + 2] = bBase + 4 * p.b;
        heap[w + 3] = cBase + 4 * p.c;
        heap[w + 4] = scratchOf[t]!;
        heap[w + 5] = p.m;
        heap[w + 6] = p.n;
        heap[w + 7] = spec.k;
        heap[w + 8] = spec.lda;
        heap[w + 9] = spec.ldb;
        heap[w + 10] = spec.ldc;
        heap[w + 11] = spec.transA ? 1 : 0;
        heap[w + 12] = spec.transB ? 1 : 0;
        heap[w + 13] = 0;
        entry += ENTRY_WORDS * 4;
      }
    }
    // A worker slower than 0.1 GFLOP/s on its share, and past two minutes, is taken for dead.
    pool.dispatch(jobs, Math.max(stallMs(), flops / threads / 1e5));
    try {
      for (const p of parts[0]!) {
        g.gemm(
          aBase + 4 * p.a,
          bBase + 4 * p.b,
          cBase + 4 * p.c,
          scratchOf[0]!,
          p.m,
          p.n,
          spec.k,
          spec.lda,
          spec.ldb,
          spec.ldc,
          spec.transA ? 1 : 0,
          spec.transB ? 1 : 0,
          0,
        );
      }
    } finally {
      // The workers use the block: it is freed only after they are done.
      pool.wait();
    }
  });
  return true;
}
