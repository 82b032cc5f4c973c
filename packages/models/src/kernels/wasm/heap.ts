/**
 * Kernels that are bookkeeping on the wasm heap rather than arithmetic:
 *
 * - `Identity` without a copy. tfjs-backend-wasm 4.22 copies the tensor on every `clone`, and every
 *   `customGrad` output passes through `Identity` (347 copies per batch-8 training step). Its data
 *   is reference-counted (`incRef` / `disposeData`, as its own `Reshape` uses), so the output can
 *   share the input's data, as tfjs-backend-cpu's `Identity` does: the memory is freed when the last
 *   tensor holding it is disposed. This relies on no kernel writing into its inputs, which holds for
 *   tfjs's kernels and must hold for ours.
 * - `FlanGatherRows`: a row lookup as one row copy per index (tfjs-wasm's `GatherV2` takes ~20 µs per
 *   512-float row), with the indices checked against the table.
 * - `FlanScatterRows`: the gradient of a row lookup, every row added into one dense zero table by a
 *   SIMD module (`assembly/heap.ts`); with one lookup for both stacks (see `T5Model`), the shared
 *   table's gradient is one such table, not one `ScatterNd` table per use plus their sum.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { wasmBase64 } from './generated/heap';
import { heapOffset, instantiateKernelModule, replaceWasmKernel, type WasmBackendInternals } from './runtime';

/** Exports of `assembly/heap.ts`. */
interface HeapModule {
  scatterAddRows(dst: number, src: number, ids: number, n: number, d: number, numRows: number): void;
}

/** Kernel names registered here (only on wasm; callers check `hasKernel`). */
export const SCATTER_ROWS = 'FlanScatterRows';
export const GATHER_ROWS = 'FlanGatherRows';

/** Registers this module's kernels on the wasm backend; false when they could not be installed. */
export async function installHeapKernels(backend: WasmBackendInternals): Promise<boolean> {
  replaceWasmKernel('Identity', (fallback) => sharedIdentity(fallback));
  replaceWasmKernel(GATHER_ROWS, () => gatherRowsKernel);
  const module = await instantiateKernelModule<HeapModule>(backend, wasmBase64);
  if (module === undefined) return false;
  replaceWasmKernel(SCATTER_ROWS, () => scatterRowsKernel(module));
  return true;
}

function sharedIdentity(fallback: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === 'string' && fallback !== undefined) return fallback(args);
    (args.backend as unknown as WasmBackendInternals).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}

/**
 * `out[indices[i]] += rows[i]` over a zero `[numRows, d]` table, in row order (so duplicates are summed
 * in a fixed order). Inputs: `rows` float32 `[n, d]`, `indices` int32 `[n]`; attr `numRows`.
 */
function scatterRowsKernel(module: HeapModule): KernelFunc {
  return (args) => {
    const rows = args.inputs.rows as TensorInfo;
    const indices = args.inputs.indices as TensorInfo;
    const { numRows } = args.attrs as unknown as { numRows: number };
    const backend = args.backend as unknown as WasmBackendInternals;
    const [n, d] = rows.shape as [number, number];
    checkRowsAndIndices(SCATTER_ROWS, rows, indices);
    checkIds(SCATTER_ROWS, backend, indices, numRows);
    const out = backend.makeOutput([numRows, d], 'float32');
    module.scatterAddRows(
      heapOffset(backend, out),
      heapOffset(backend, rows),
      heapOffset(backend, indices),
      n,
      d,
      numRows,
    );
    return out;
  };
}

/** `table[indices]`: inputs `table` float32 `[numRows, d]`, `indices` int32 `[n]`; out `[n, d]`. */
const gatherRowsKernel: KernelFunc = (args) => {
  const table = args.inputs.table as TensorInfo;
  const indices = args.inputs.indices as TensorInfo;
  const backend = args.backend as unknown as WasmBackendInternals;
  if (table.dtype !== 'float32' || table.shape.length !== 2) {
    throw new Error(
      `${GATHER_ROWS}: table must be float32 [rows, d], got ${table.dtype} [${table.shape.join(', ')}]`,
    );
  }
  if (indices.dtype !== 'int32' || indices.shape.length !== 1) {
    throw new Error(
      `${GATHER_ROWS}: indices must be int32 [n], got ${indices.dtype} [${indices.shape.join(', ')}]`,
    );
  }
  const [numRows, d] = table.shape as [number, number];
  const n = indices.shape[0]!;
  checkIds(GATHER_ROWS, backend, indices, numRows);
  const out = backend.makeOutput([n, d], 'float32');
  // Views after makeOutput: allocating can grow (and so detach) the heap.
  const src = backend.typedArrayFromHeap(table);
  const rowIds = backend.typedArrayFromHeap(indices);
  const dst = backend.typedArrayFromHeap(out);
  for (let i = 0; i < n; i++) dst.set(src.subarray(rowIds[i]! * d, rowIds[i]! * d + d), i * d);
  return out;
};

/**
 * Throws a RangeError naming the first id outside `0..numRows-1`. Kernels check before allocating
 * their output (one that throws after makeOutput leaks it); the row loops trust the ids.
 */
function checkIds(kernel: string, backend: WasmBackendInternals, indices: TensorInfo, numRows: number): void {
  const ids = backend.typedArrayFromHeap(indices);
  for (let i = 0; i < ids.length; i++) {
    if (!(ids[i]! >= 0 && ids[i]! < numRows)) {
      throw new RangeError(`${kernel}: index ${ids[i]} at position ${i} is outside 0..${numRows - 1}`);
    }
  }
}

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
