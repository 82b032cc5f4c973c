/**
 * What both of ours' engines (T5, `ours.ts`; decoder-only, `causal-ours.ts`) need of the wasm backend:
 * setting it up at a thread count and naming it, and telling an exhausted heap from other failures.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index';
import { gemmUsesFusedMultiplyAdd } from '../../src/kernels/wasm/gemm';
import { threadStatus, type ThreadStatus } from '../../src/threads/index';

/** Sets up the wasm backend on `threads` threads; throws when fewer are in use. */
export async function initOursBackend(threads: number): Promise<ThreadStatus> {
  await initBackend('wasm', { threads });
  const status = threadStatus();
  if (status.reason) throw new Error(`${status.inUse} of ${status.requested} threads: ${status.reason}`);
  return status;
}

/** The engine line of a report: the model class, tfjs, the threads and the GEMM variant in use. */
export function oursEngine(modelClass: string): string {
  return (
    `@flan-ts/models ${modelClass}, tfjs-backend-wasm ${tf.version_core} (${threadStatus().inUse} thread(s), ` +
    `${gemmUsesFusedMultiplyAdd() ? 'fused multiply-add' : 'mul + add'} GEMM)`
  );
}

/** wasm32's ceiling as tfjs-backend-wasm is built (4 GiB less one 64 KiB page). */
const WASM_HEAP_MAX = 4294901760;

/** The wasm heap's size now (it only grows, so it is the peak). */
export function wasmHeapBytes(): number | undefined {
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return backend.wasm?.HEAPU8?.byteLength;
}

/**
 * "out of memory (…)" when the heap is (nearly) at its ceiling, else undefined: after an exhausted heap
 * the module aborts, and the error that surfaces first may be a follow-on one.
 */
export function heapExhausted(): string | undefined {
  const heap = wasmHeapBytes() ?? 0;
  return heap >= WASM_HEAP_MAX - 64 * 2 ** 20
    ? `out of memory (the wasm heap reached ${Math.round(heap / 2 ** 20)} MiB of 4 GiB)`
    : undefined;
}
