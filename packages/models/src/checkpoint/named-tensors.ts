/** A model's tensors read back as Hugging Face-named float32 arrays, sorted by name (what savers write). */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { NamedFloat32Tensor } from './safetensors';

const byName = (entries: readonly (readonly [string, Tensor])[]) =>
  [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** Reads synchronously, which WebGPU in Node cannot: use {@link readNamedTensors} there. */
export function namedTensorsSync(entries: readonly (readonly [string, Tensor])[]): NamedFloat32Tensor[] {
  return byName(entries).map(([name, t]) => ({
    name,
    shape: [...t.shape],
    data: t.dataSync() as Float32Array,
  }));
}

/** Reads asynchronously: works on every backend, WebGPU included. */
export function readNamedTensors(
  entries: readonly (readonly [string, Tensor])[],
): Promise<NamedFloat32Tensor[]> {
  return Promise.all(
    byName(entries).map(async ([name, t]) => ({
      name,
      shape: [...t.shape],
      data: (await t.data()) as Float32Array,
    })),
  );
}
