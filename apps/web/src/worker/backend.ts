/** The backend: WebGPU when the browser gives an adapter, else WASM (SIMD kernels), with the reason. */
import { initBackend, threadStatus, type BackendName } from '@flan-ts/models';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { AdapterInfo, BackendChoice, ThreadInfo } from '../protocol';

interface GpuAdapterLike {
  limits: { maxBufferSize: number; maxStorageBufferBindingSize: number };
  info?: { vendor?: string; architecture?: string; description?: string };
}

export interface ChosenBackend {
  backend: BackendName;
  reason: string;
  adapter: AdapterInfo | undefined;
  /** On wasm only: the kernels' threads. */
  threads: ThreadInfo | undefined;
}

async function requestAdapter(): Promise<GpuAdapterLike | null | undefined> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } }).gpu;
  if (gpu === undefined) return undefined;
  try {
    return await gpu.requestAdapter();
  } catch {
    return null;
  }
}

/**
 * Initialises the backend `choice` names (`auto`: WebGPU if there is an adapter, else WASM); on wasm
 * the kernels run on `threads` threads (undefined: navigator.hardwareConcurrency), or on 1 with the
 * reason when the page is not cross-origin isolated.
 */
export async function chooseBackend(
  choice: BackendChoice,
  threads: number | undefined,
): Promise<ChosenBackend> {
  const gpu = await requestAdapter();
  const adapter: AdapterInfo | undefined = gpu
    ? {
        description:
          [gpu.info?.vendor, gpu.info?.architecture, gpu.info?.description].filter(Boolean).join(' ') ||
          'unnamed adapter',
        maxBufferSize: gpu.limits.maxBufferSize,
        maxStorageBufferBindingSize: gpu.limits.maxStorageBufferBindingSize,
      }
    : undefined;
  const noGpu =
    gpu === undefined ? 'this browser has no WebGPU (navigator.gpu)' : 'navigator.gpu gave no adapter';
  let backend: BackendName;
  let reason: string;
  if (choice === 'auto') {
    backend = adapter ? 'webgpu' : 'wasm';
    reason = adapter
      ? `automatic: a WebGPU adapter is there (${adapter.description})`
      : `automatic: ${noGpu}`;
  } else {
    if (choice === 'webgpu' && !adapter) throw new Error(`WebGPU was chosen but ${noGpu}; choose WASM`);
    backend = choice;
    reason = 'chosen in the page';
  }
  // Never tfjs's own pthread build: the models package's kernel pool runs the threads, over the
  // SIMD build's heap made shared (initBackend does this when the page is cross-origin isolated).
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setWasmPaths({
    'tfjs-backend-wasm.wasm': wasmPlain,
    'tfjs-backend-wasm-simd.wasm': wasmSimd,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
  });
  tf.env().set('PROD', true);
  const wasm = backend === 'wasm';
  await initBackend(backend, wasm ? { threads: threads ?? navigator.hardwareConcurrency } : {});
  return { backend, reason, adapter, threads: wasm ? threadStatus() : undefined };
}

/** Bytes in use: tfjs's tensors, the GPU's share, and the WASM heap (what runs out first on wasm). */
export function memoryInUse(): { tensors: number; bytes: number; gpuBytes?: number; wasmHeapBytes?: number } {
  const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8?.buffer
    .byteLength;
  return {
    tensors: m.numTensors,
    bytes: m.numBytes,
    ...(m.numBytesInGPU !== undefined ? { gpuBytes: m.numBytesInGPU } : {}),
    ...(heap !== undefined ? { wasmHeapBytes: heap } : {}),
  };
}
