import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index';
import { positionBias } from '../src/kernels/positionBias';
import { POSITION_BIAS } from '../src/kernels/wasm/position';
import { hasKernel } from '../src/kernels/wasm/runtime';
import { relativePositionBucket } from '../src/t5/relativePosition';

describe('FlanPositionBias on wasm', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('equals gather + transpose of the bucket table, for self- and cross-shaped biases', () => {
    expect(hasKernel(POSITION_BIAS)).toBe(true);
    for (const [queryLen, keyLen, bidirectional] of [
      [7, 7, true],
      [1, 9, false],
      [13, 5, false],
    ] as const) {
      const tableValues = Array.from({ length: 32 * 6 }, (_, i) => Math.sin(i * 0.37) * 3);
      const buckets: number[] = [];
      for (let i = 0; i < queryLen; i++)
        for (let j = 0; j < keyLen; j++) buckets.push(relativePositionBucket(j - i, bidirectional, 32, 128));
      const before = tf.memory().numTensors;
      const [fast, slow] = tf.tidy(() => {
        const table = tf.tensor2d(tableValues, [32, 6]);
        const ids = tf.tensor1d(buckets, 'int32');
        const composite = tf.reshape(tf.transpose(tf.gather(table, ids)), [1, 6, queryLen, keyLen]);
        return [positionBias(table, ids, queryLen, keyLen), composite];
      });
      expect(fast.shape).toEqual([1, 6, queryLen, keyLen]);
      expect(Array.from(fast.dataSync())).toEqual(Array.from(slow.dataSync()));
      tf.dispose([fast, slow]);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('rejects a bucket outside the table, naming it, without leaking the output', () => {
    const table = tf.zeros([32, 6]);
    const ids = tf.tensor1d([0, 32, 1, 2], 'int32');
    const before = tf.memory().numTensors;
    expect(() =>
      tf.engine().runKernel(POSITION_BIAS, { table, buckets: ids }, { queryLen: 2, keyLen: 2 }),
    ).toThrow(/bucket 32 at 1 is outside 0\.\.31/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([table, ids]);
  });
});
