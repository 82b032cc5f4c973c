/**
 * `FlanPositionBias`: the relative-position bias `[1, heads, queryLen, keyLen]` read straight out of the
 * `[numBuckets, heads]` table by bucket, in one pass on the heap. tfjs-wasm's `GatherV2` followed by a
 * `Transpose` took ~9 ms for a 128 × 128 encoder bias, as long as a whole attention layer's matmuls.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { replaceWasmKernel, type WasmBackendInternals } from './runtime';

export const POSITION_BIAS = 'FlanPositionBias';

/** Inputs: `table` float32 `[numBuckets, heads]`, `buckets` int32 `[queryLen · keyLen]`; attrs `queryLen`, `keyLen`. */
const positionBiasKernel: KernelFunc = (args) => {
  const table = args.inputs.table as TensorInfo;
  const buckets = args.inputs.buckets as TensorInfo;
  const { queryLen, keyLen } = args.attrs as unknown as { queryLen: number; keyLen: number };
  const backend = args.backend as unknown as WasmBackendInternals;
  const [numBuckets, heads] = table.shape as [number, number];
  const size = queryLen * keyLen;
  if (buckets.dtype !== 'int32' || buckets.shape.length !== 1 || buckets.shape[0] !== size) {
    throw new Error(
      `${POSITION_BIAS}: buckets must be int32 [${size}], got ${buckets.dtype} [${buckets.shape}]`,
    );
  }
  const ids = backend.typedArrayFromHeap(buckets);
  for (let i = 0; i < size; i++) {
    if (!(ids[i]! >= 0 && ids[i]! < numBuckets)) {
      throw new RangeError(`${POSITION_BIAS}: bucket ${ids[i]} at ${i} is outside 0..${numBuckets - 1}`);
    }
  }
  const out = backend.makeOutput([1, heads, queryLen, keyLen], 'float32');
  // Views are taken after makeOutput: allocating can grow (and so detach) the heap.
  const values = backend.typedArrayFromHeap(table);
  const bucketIds = backend.typedArrayFromHeap(buckets);
  const result = backend.typedArrayFromHeap(out);
  for (let h = 0; h < heads; h++) {
    const base = h * size;
    for (let i = 0; i < size; i++) result[base + i] = values[bucketIds[i]! * heads + h]!;
  }
  return out;
};

/** Registers `FlanPositionBias` on the wasm backend. */
export async function installPositionKernels(_backend: WasmBackendInternals): Promise<boolean> {
  replaceWasmKernel(POSITION_BIAS, () => positionBiasKernel);
  return true;
}
