import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BackendError, initBackend, isBackendName } from '../src/backend/index';

describe('initBackend', () => {
  it('initialises wasm (finding its binaries in Node) and cpu, and computes on them', async () => {
    for (const name of ['wasm', 'cpu', 'wasm'] as const) {
      expect(await initBackend(name)).toBe(name);
      expect(tf.getBackend()).toBe(name);
      const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
      expect(Array.from(y.dataSync())).toEqual([11]);
      y.dispose();
    }
  });

  it('rejects an unknown backend name with a BackendError naming it', async () => {
    // @ts-expect-error: the name is checked at run time too (CLI flags arrive as strings).
    await expect(initBackend('tensorflow')).rejects.toThrow(BackendError);
    // @ts-expect-error: see above.
    await expect(initBackend('gpu')).rejects.toThrow(
      /backend "gpu": unknown backend \(supported: wasm, cpu, webgpu\)/,
    );
  });

  it('isBackendName narrows strings', () => {
    expect(['wasm', 'cpu', 'webgpu', 'webgl', ''].map(isBackendName)).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });
});

describe('wasm Slice kernel (contiguous slices copied inside the heap)', () => {
  it("gives the cpu backend's values for contiguous and strided slices of float and int tensors", async () => {
    const cases: [number[], number[], number[]][] = [
      [
        [6, 5, 4],
        [2, 0, 0],
        [3, 5, 4],
      ],
      [
        [6, 5, 4],
        [1, 2, 0],
        [1, 2, 4],
      ],
      [
        [6, 5, 4],
        [0, 1, 1],
        [6, 3, 2],
      ],
      [[7], [3], [-1]],
      [
        [4, 4],
        [0, 0],
        [0, 4],
      ],
    ];
    const results: Record<string, number[][]> = { cpu: [], wasm: [] };
    for (const backend of ['cpu', 'wasm'] as const) {
      await initBackend(backend);
      for (const [shape, begin, size] of cases) {
        for (const dtype of ['float32', 'int32'] as const) {
          const n = shape.reduce((a, b) => a * b, 1);
          const x = tf.tensor(
            Array.from({ length: n }, (_, i) => i * 1.5 - 7),
            shape,
            dtype,
          );
          const y = tf.slice(x, begin, size);
          results[backend]!.push([...y.shape, ...y.dataSync()]);
          tf.dispose([x, y]);
        }
      }
    }
    expect(results.wasm).toEqual(results.cpu);
    expect(results.wasm![0]!.slice(0, 3)).toEqual([3, 5, 4]);
  });
});
