/**
 * Our WebAssembly kernels run inside tfjs-backend-wasm's memory: each module (see `assembly/`) imports
 * the backend's `WebAssembly.Memory` and reads and writes tensors in place, by byte offset, so a kernel
 * costs no copies. This file finds that memory, instantiates modules against it, and addresses tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DataType, TensorInfo } from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-wasm 4.x's `BackendWasm` that the kernels use. */
export interface WasmBackendInternals {
  wasm: {
    asm?: { memory?: WebAssembly.Memory };
    _malloc(bytes: number): number;
    _free(pointer: number): void;
  };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  /** A view of the tensor's data in the heap (valid until the heap next grows). */
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  /** One more reference to the data (freed when the last holder disposes it). */
  incRef(dataId: object): void;
}

/** The registered wasm backend, or undefined when tfjs-backend-wasm is not loaded. */
export function wasmBackendInternals(): WasmBackendInternals | undefined {
  if (tf.findBackend('wasm') === null) return undefined;
  return tf.findBackend('wasm') as unknown as WasmBackendInternals;
}

/**
 * Instantiates a module from `generated/` against the backend's memory. Undefined when the memory
 * cannot be shared (a tfjs build that does not export it, or a shared-memory threaded build).
 */
export async function instantiateKernelModule<Exports>(
  backend: WasmBackendInternals,
  wasmBase64: string,
): Promise<Exports | undefined> {
  const memory = backend.wasm.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return undefined;
  const bytes = Uint8Array.from(atob(wasmBase64), (c) => c.charCodeAt(0));
  try {
    const { instance } = await WebAssembly.instantiate(bytes, {
      env: {
        memory,
        abort: () => {
          throw new Error('wasm kernel aborted');
        },
      },
    });
    return instance.exports as Exports;
  } catch {
    return undefined;
  }
}

/** Byte offset of a tensor's data in the wasm heap. */
export function heapOffset(backend: WasmBackendInternals, info: TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (data === undefined) throw new Error('tensor has no data on the wasm backend');
  return data.memoryOffset;
}

/**
 * Runs `body` with `bytes` of scratch memory from tfjs's allocator (freed afterwards). Allocation can
 * grow the heap: take JS views of the heap only after this returns a pointer.
 */
export function withScratch<T>(
  backend: WasmBackendInternals,
  bytes: number,
  body: (pointer: number) => T,
): T {
  const pointer = backend.wasm._malloc(Math.max(bytes, 16));
  if (pointer === 0) throw new Error(`wasm kernel scratch: out of memory allocating ${bytes} bytes`);
  try {
    return body(pointer);
  } finally {
    backend.wasm._free(pointer);
  }
}

/**
 * Replaces (or adds) a kernel of the wasm backend. `fallback` is the kernel it replaces, for the cases
 * the new one does not handle.
 */
export function replaceWasmKernel(
  kernelName: string,
  make: (fallback: tf.KernelFunc | undefined) => tf.KernelFunc,
): void {
  const original = tf.getKernel(kernelName, 'wasm');
  if (original !== undefined) tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({
    ...(original ?? {}),
    kernelName,
    backendName: 'wasm',
    kernelFunc: make(original?.kernelFunc),
  });
}

/** Whether `kernelName` is registered for the active backend (fused kernels exist only on wasm). */
export function hasKernel(kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}
