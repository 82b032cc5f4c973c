/**
 * The fused kernels split over the thread pool (`threads/`). The norm, softmax and cross-entropy are
 * independent per row and the activations per element, so each output element is computed by one
 * thread, by the same code, in the same order: the same bits on any thread count. (RMSNorm's gradient,
 * whose weight gradient sums over every row, stays on the calling thread.) How each kernel is cut is
 * `fused-split.ts`.
 */
import { currentPool } from '../../threads/index';
import { ENTRY_WORDS, FUSED_OPS, RESULT_WORD, fusedOp, type FusedOpName } from '../../threads/worker-source';
import { withScratch, type WasmBackendInternals } from './runtime';

/** One call of a fused module function: its name and arguments (types as in `FUSED_OPS`). */
export interface FusedCall {
  name: FusedOpName;
  args: number[];
}

/** The calls of each thread (the caller's first), given the thread count. */
export type FusedPlan = (threads: number) => FusedCall[][];

/**
 * Below this many elements a fused kernel that computes per element (an exp: gelu_new and its
 * gradient, softmax, cross-entropy) runs on the calling thread. Waking a worker costs ~50-80 µs here;
 * measured on 2 cores (`bench/thread-break-even.ts --fused`), these kernels gained from 2^17 elements
 * (1.1-1.3x; 2^16: 0.8-0.9x, 2^19: 1.6-1.7x).
 */
export const MIN_PARALLEL_ELEMENTS = 2 ** 17;

/**
 * How many times more elements a light kernel (a pass of one or two operations per element, bound by
 * memory: RMSNorm, relu, the softmax gradient) needs before it is split: they gained from 2^19-2^21.
 */
export const LIGHT_KERNEL_FACTOR = 8;

/** A kernel's cost per element: `heavy` ones compute an exp, `light` ones are memory passes. */
export type KernelWeight = 'heavy' | 'light';

let minParallelElements = MIN_PARALLEL_ELEMENTS;
let threadedCalls = 0;

/** Test and benchmark hook: the element count from which fused kernels are split. */
export function setMinParallelElements(elements: number): void {
  minParallelElements = elements;
}

/** Test hook: how many fused kernels have run split over the pool so far. */
export function threadedFusedCalls(): number {
  return threadedCalls;
}

/** A call. */
export function call(name: FusedOpName, ...args: number[]): FusedCall {
  return { name, args };
}

type Callable = Record<FusedOpName, (...args: number[]) => number | void>;

/**
 * Runs a kernel's `plan` and returns each call's result (the caller's calls first, then each worker's):
 * over the pool when there is one and the kernel covers enough `elements` for its `weight`
 * (`MIN_PARALLEL_ELEMENTS`, times `LIGHT_KERNEL_FACTOR` when light), else the one-thread plan on the
 * calling thread.
 */
export function runFused(
  backend: WasmBackendInternals,
  exports: object,
  elements: number,
  weight: KernelWeight,
  plan: FusedPlan,
): number[] {
  const fns = exports as Callable;
  const local = (calls: readonly FusedCall[]) => calls.map((c) => Number(fns[c.name](...c.args) ?? 0));
  const pool = currentPool();
  const least = weight === 'light' ? minParallelElements * LIGHT_KERNEL_FACTOR : minParallelElements;
  if (pool === undefined || elements < least) return local(plan(1)[0]!);
  const parts = plan(pool.size + 1);
  const entries = parts.slice(1).reduce((n, list) => n + list.length, 0);
  if (entries === 0) return local(parts[0]!);
  threadedCalls++;
  return withScratch(backend, entries * ENTRY_WORDS * 4, (block) => {
    // Views of the heap are taken after the allocation, which may have grown it.
    const memory = backend.wasm.asm!.memory!.buffer;
    const words = new Uint32Array(memory);
    const floats = new Float32Array(memory);
    const jobs = [];
    let entry = block;
    for (const list of parts.slice(1)) {
      jobs.push({ pointer: entry, count: list.length });
      for (const c of list) {
        const w = entry >>> 2;
        const op = fusedOp(c.name);
        const types = FUSED_OPS[op - 1]![1];
        words[w] = op;
        c.args.forEach((value, a) => {
          if (types[a] === 'f') floats[w + 1 + a] = value;
          else words[w + 1 + a] = value;
        });
        entry += ENTRY_WORDS * 4;
      }
    }
    pool.dispatch(jobs);
    let own: number[];
    try {
      own = local(parts[0]!);
    } finally {
      // The workers read the block: it is freed only after they are done.
      pool.wait();
    }
    const results = new Int32Array(backend.wasm.asm!.memory!.buffer);
    const theirs = Array.from(
      { length: entries },
      (_, i) => results[(block >>> 2) + i * ENTRY_WORDS + RESULT_WORD]!,
    );
    return [...own, ...theirs];
  });
}
