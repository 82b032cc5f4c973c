/**
 * Kernels that are bookkeeping on the wasm heap rather than arithmetic:
 *
 * - `Identity` without a copy. tfjs-backend-wasm 4.22 copies the tensor on every `clone`, and every
 *   `customGrad` output passes through `Identity` (347 copies per batch-8 training step). Its data
 *   is reference-counted (`incRef` / `disposeData`, as its own `Reshape` uses), so the output can
 *   share the input's data, as tfjs-backend-cpu's `Identity` does: the memory is freed when the last
 *   tensor holding it is disposed. This relies on no kernel writing into its inputs, which holds for
 *   tfjs's kernels and must hold for ours.
 * - `FlanScatterRows`: the gradient of a row lookup, every row added into one dense zero table (tfjs's
 *   `ScatterNd` is several times slower and the tape then adds one such table per use).
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { replaceWasmKernel, type WasmBackendInternals } from './runtime';

/** Kernel names registered here (only on wasm; callers check `hasKernel`). */
export const SCATTER_ROWS = 'FlanScatterRows';

interface HeapBackend extends WasmBackendInternals {
  incRef(dataId: object): void;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** Registers this module's kernels on the wasm backend; false when they could not be installed. */
export async function installHeapKernels(_backend: WasmBackendInternals): Promise<boolean> {
  replaceWasmKernel('Identity', (fallback) => sharedIdentity(fallback));
  replaceWasmKernel(SCATTER_ROWS, () => scatterRowsKernel);
  return true;
}

function sharedIdentity(fallback: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === 'string' && fallback !== undefined) return fallback(args);
    (args.backend as unknown as HeapBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}

/**
 * `out[indices[i]] += rows[i]` over a zero `[numRows, d]` table, in row order (so duplicates are summed
 * in a fixed order). Inputs: `rows` float32 `[n, d]`, `indices` int32 `[n]`; attr `numRows`.
 */
const scatterRowsKernel: KernelFunc = (args) => {
  const rows = args.inputs.rows as TensorInfo;
  const indices = args.inputs.indices as TensorInfo;
  const { numRows } = args.attrs as unknown as { numRows: number };
  const backend = args.backend as unknown as HeapBackend;
  const [n, d] = rows.shape as [number, number];
  checkRowsAndIndices(SCATTER_ROWS, rows, indices);
  // Checked before allocating: a kernel that throws after makeOutput leaks the output.
  const checked = backend.typedArrayFromHeap(indices);
  for (let i = 0; i < n; i++) {
    const row = checked[i]!;
    if (!(row >= 0 && row < numRows)) {
      throw new RangeError(`${SCATTER_ROWS}: index ${row} at position ${i} is outside 0..${numRows - 1}`);
    }
  }
  const out = backend.makeOutput([numRows, d], 'float32');
  // Views only after makeOutput: an allocation can grow (and detach) the heap buffer.
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  const src = backend.typedArrayFromHeap(rows) as Float32Array;
  const ids = backend.typedArrayFromHeap(indices) as Int32Array;
  dst.fill(0);
  for (let i = 0; i < n; i++) {
    const o = ids[i]! * d;
    const s = i * d;
    for (let j = 0; j < d; j++) dst[o + j] = dst[o + j]! + src[s + j]!;
  }
  return out;
};

function checkRowsAndIndices(kernel: string, rows: TensorInfo, indices: TensorInfo): void {
  if (rows.dtype !== 'float32' || rows.shape.length !== 2) {
    throw new Error(`${kernel}: rows must be float32 [n, d], got ${rows.dtype} [${rows.shape.join(', ')}]`);
  }
  if (indices.dtype !== 'int32' || indices.shape.length !== 1 || indices.shape[0] !== rows.shape[0]) {
    throw new Error(
      `${kernel}: indices must be int32 [${rows.shape[0]}], got ${indices.dtype} [${indices.shape.join(', ')}]`,
    );
  }
}
