/**
 * Our WebAssembly kernels run inside tfjs-backend-wasm's memory: each module (see `assembly/`) imports
 * the backend's `WebAssembly.Memory` and reads and writes tensors in place, by byte offset, so a kernel
 * costs no copies. This file finds that memory, instantiates modules against it, and addresses tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DataType, TensorInfo } from '@tensorflow/tfjs-core';
import { withSharedMemory } from './binary';

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
  /** Frees the data (a no-op for data already freed). */
  disposeData(dataId: object): boolean;
}

/**
 * Runs a kernel's `body` with a view of `backend` that records the outputs it makes: when the body
 * throws (a kernel worker that died, labels out of range), those outputs are freed, not left in the
 * heap with no tensor to dispose them.
 */
export function freeingOutputsOnThrow<T>(
  backend: WasmBackendInternals,
  body: (tracked: WasmBackendInternals) => T,
): T {
  const made: TensorInfo[] = [];
  const tracked: WasmBackendInternals = {
    wasm: backend.wasm,
    dataIdMap: backend.dataIdMap,
    makeOutput: (shape, dtype) => {
      const out = backend.makeOutput(shape, dtype);
      made.push(out);
      return out;
    },
    typedArrayFromHeap: (info) => backend.typedArrayFromHeap(info),
    incRef: (dataId) => backend.incRef(dataId),
    disposeData: (dataId) => backend.disposeData(dataId),
  };
  try {
    return body(tracked);
  } catch (error) {
    for (const out of made) backend.disposeData(out.dataId);
    throw error;
  }
}

/** The registered wasm backend, or undefined when tfjs-backend-wasm is not loaded. */
export function wasmBackendInternals(): WasmBackendInternals | undefined {
  if (tf.findBackend('wasm') === null) return undefined;
  return tf.findBackend('wasm') as unknown as WasmBackendInternals;
}

/** The backend's heap memory, when tfjs exports it. */
export function backendMemory(backend: WasmBackendInternals): WebAssembly.Memory | undefined {
  const memory = backend.wasm.asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

/** Whether the backend's heap is a `SharedArrayBuffer` (see `shared-memory.ts`), so workers can use it. */
export function backendMemoryIsShared(backend: WasmBackendInternals): boolean {
  const memory = backendMemory(backend);
  return typeof SharedArrayBuffer !== 'undefined' && memory?.buffer instanceof SharedArrayBuffer;
}

/** Decodes a `generated/` module's base64. */
export function kernelModuleBytes(wasmBase64: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(wasmBase64), (c) => c.charCodeAt(0));
}

/** A compiled kernel module and its instance on the backend's memory. */
export interface LoadedKernelModule<Exports> {
  /** The compiled module, for workers to instantiate against the same (shared) memory. */
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  exports: Exports;
}

/**
 * Compiles a module from `generated/` and instantiates it against the backend's memory; its memory
 * import is marked shared when the backend's heap is shared. Undefined when the memory cannot be
 * used (a tfjs build that does not export it, or a module this engine cannot compile).
 */
export async function loadKernelModule<Exports>(
  backend: WasmBackendInternals,
  wasmBase64: string,
): Promise<LoadedKernelModule<Exports> | undefined> {
  const memory = backendMemory(backend);
  if (memory === undefined) return undefined;
  let bytes: Uint8Array<ArrayBuffer> | undefined = kernelModuleBytes(wasmBase64);
  if (backendMemoryIsShared(backend)) bytes = withSharedMemory(bytes);
  if (bytes === undefined) return undefined;
  try {
    const module = await WebAssembly.compile(bytes);
    const instance = await WebAssembly.instantiate(module, { env: kernelImports(memory) });
    return { module, memory, exports: instance.exports as Exports };
  } catch {
    return undefined;
  }
}

/** The imports of every kernel module (also built by the worker source in `threads/worker-source.ts`). */
export function kernelImports(memory: WebAssembly.Memory): WebAssembly.ModuleImports {
  return {
    memory,
    abort: () => {
      throw new Error('wasm kernel aborted');
    },
  };
}

/** `loadKernelModule`'s exports alone. */
export async function instantiateKernelModule<Exports>(
  backend: WasmBackendInternals,
  wasmBase64: string,
): Promise<Exports | undefined> {
  return (await loadKernelModule<Exports>(backend, wasmBase64))?.exports;
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
