/**
 * A faster `Slice` kernel for tfjs-backend-wasm. tfjs 4.22's wasm Slice reads the whole input back
 * into JavaScript (`readSync` copies it out of the heap) before copying the slice, so each slice
 * costs time proportional to its input: cutting a `[48, 128, 64]` tensor into 48 pieces took longer
 * than the batched matmul it was meant to replace. A contiguous slice is a copy inside the heap.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { replaceWasmKernel, type WasmBackendInternals } from './runtime';

/** Replaces the wasm backend's Slice kernel (contiguous slices; others go to the original). */
export async function installSliceKernel(_backend: WasmBackendInternals): Promise<boolean> {
  const original = tf.getKernel('Slice', 'wasm')?.kernelFunc;
  if (original === undefined) return false;
  replaceWasmKernel('Slice', () => (args) => {
    const x = args.inputs.x as TensorInfo;
    const { begin, size } = args.attrs as unknown as { begin: number[]; size: number[] };
    const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size) as [number[], number[]];
    if (x.dtype === 'string' || !tf.slice_util.isSliceContinous(x.shape, b, s)) return original(args);
    const backend = args.backend as unknown as WasmBackendInternals;
    const out = backend.makeOutput(s, x.dtype);
    const offset = tf.slice_util.computeFlatOffset(b, tf.util.computeStrides(x.shape));
    const count = tf.util.sizeFromShape(s);
    if (count > 0)
      backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(x).subarray(offset, offset + count));
    return out;
  });
  return true;
}
