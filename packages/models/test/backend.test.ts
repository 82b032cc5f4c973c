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
