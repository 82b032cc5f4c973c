import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index';
import { embeddingLookup, scatterRows } from '../src/kernels/embedding';
import { GATHER_ROWS, SCATTER_ROWS } from '../src/kernels/wasm/heap';
import { hasKernel } from '../src/kernels/wasm/runtime';
import { uniformFloats } from '@flan-ts/test-support';

/** float64 reference of the scatter-add, summing duplicates in row order. */
function scatterReference(rows: Float32Array, ids: number[], numRows: number, d: number): Float64Array {
  const out = new Float64Array(numRows * d);
  ids.forEach((row, i) => {
    for (let j = 0; j < d; j++) out[row * d + j]! += rows[i * d + j]!;
  });
  return out;
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('heap kernels on wasm', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  describe('Identity shares data instead of copying', () => {
    it('clone shares the buffer; disposing either tensor keeps the other readable', () => {
      const before = tf.memory();
      const a = tf.tensor2d([1, 2, 3, 4, 5, 6, 7], [1, 7]);
      const b = tf.clone(a);
      expect(b.dataId).toBe(a.dataId);
      // Logical bytes count per tensor (as on the cpu backend); the buffer is stored once.
      expect(tf.memory().numTensors).toBe(before.numTensors + 2);
      expect(tf.memory().numBytes).toBe(before.numBytes + 2 * 7 * 4);
      expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers + 1);
      a.dispose();
      expect(Array.from(b.dataSync())).toEqual([1, 2, 3, 4, 5, 6, 7]);
      const c = tf.clone(b);
      b.dispose();
      expect(Array.from(c.dataSync())).toEqual([1, 2, 3, 4, 5, 6, 7]);
      c.dispose();
      expect(tf.memory().numTensors).toBe(before.numTensors);
      expect(tf.memory().numBytes).toBe(before.numBytes);
      expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
    });

    it('disposing the clone keeps the original; new tensors do not reuse a live buffer', () => {
      const a = tf.tensor1d([3, 1, 4, 1, 5], 'int32');
      const b = tf.clone(a);
      b.dispose();
      const other = tf.fill([5], 9, 'int32');
      expect(Array.from(a.dataSync())).toEqual([3, 1, 4, 1, 5]);
      expect(Array.from(other.dataSync())).toEqual([9, 9, 9, 9, 9]);
      tf.dispose([a, other]);
    });

    it('customGrad outputs and tidy keep values and leak nothing', () => {
      const x = tf.tensor1d([0.5, -2, 3]);
      const before = tf.memory().numTensors;
      const f = tf.customGrad((input, save) => {
        (save as tf.GradSaveFunc)([input as tf.Tensor]);
        return { value: tf.mul(input as tf.Tensor, 2), gradFunc: (dy: tf.Tensor) => tf.mul(dy, 2) };
      });
      const y = tf.tidy(() => tf.clone(f(x) as tf.Tensor));
      expect(Array.from(y.dataSync())).toEqual([1, -4, 6]);
      const dy = tf.tensor1d([1, 10, 100]);
      const { value, grad } = tf.valueAndGrad((t: tf.Tensor) => f(t) as tf.Tensor)(x, dy);
      expect(Array.from(value.dataSync())).toEqual([1, -4, 6]);
      expect(Array.from(grad.dataSync())).toEqual([2, 20, 200]);
      tf.dispose([y, dy, value, grad]);
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    });

    it('a variable made from a clone keeps its value after the source is disposed', () => {
      const a = tf.tensor1d([1.5, 2.5]);
      const v = tf.variable(tf.clone(a), true, 'heapVar2');
      a.dispose();
      v.assign(tf.tensor1d([7, 8]));
      expect(Array.from(v.dataSync())).toEqual([7, 8]);
      v.dispose();
    });
  });

  describe('FlanGatherRows', () => {
    it('copies the indexed rows (repeats, first and last rows) as tf.gather does', () => {
      expect(hasKernel(GATHER_ROWS)).toBe(true);
      const [numRows, d] = [37, 13];
      const values = uniformFloats(numRows * d, 3);
      const ids = [0, 36, 5, 5, 17, 0, 2];
      const before = tf.memory().numTensors;
      const table = tf.tensor2d(values, [numRows, d]);
      const idx = tf.tensor1d(ids, 'int32');
      const out = embeddingLookup(table, idx);
      expect(out.shape).toEqual([ids.length, d]);
      const want = ids.flatMap((id) => Array.from(values.subarray(id * d, id * d + d)));
      expect(Array.from(out.dataSync())).toEqual(want);
      tf.dispose([table, idx, out]);
      expect(tf.memory().numTensors).toBe(before);
    });

    it('rejects an out-of-range index naming it, without leaking', () => {
      const table = tf.ones([4, 3]) as tf.Tensor2D;
      const idx = tf.tensor1d([1, -1], 'int32');
      const before = tf.memory().numTensors;
      expect(() => embeddingLookup(table, idx)).toThrow(/index -1 at position 1 is outside 0..3/);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([table, idx]);
    });
  });

  describe('FlanScatterRows', () => {
    it('is registered on wasm', () => {
      expect(hasKernel(SCATTER_ROWS)).toBe(true);
    });

    it.each([
      [5, 7, 3],
      [13, 3, 11],
      [300, 33, 41],
      [256, 512, 32128],
    ])(
      'n=%i d=%i numRows=%i: sums rows (duplicates included) exactly as the float64 reference',
      (n, d, numRows) => {
        const rows = uniformFloats(n * d, n + d);
        // Many duplicates: ids drawn from a few rows, plus the first and last rows.
        const ids = Array.from({ length: n }, (_, i) =>
          i === 0 ? 0 : i === 1 ? numRows - 1 : (i * 7) % Math.min(numRows, 5),
        );
        const before = tf.memory().numTensors;
        const r = tf.tensor2d(rows, [n, d]);
        const idx = tf.tensor1d(ids, 'int32');
        const out = scatterRows(r, idx, numRows);
        expect(out.shape).toEqual([numRows, d]);
        const got = out.dataSync();
        const want = scatterReference(rows, ids, numRows, d);
        // float32 sums in row order; the reference is float64.
        expect(maxAbs(got, want)).toBeLessThan(1e-5 * Math.max(1, n / 5));
        tf.dispose([r, idx, out]);
        expect(tf.memory().numTensors).toBe(before);
      },
    );

    it('rejects an out-of-range index naming it', () => {
      const r = tf.ones([2, 3]) as tf.Tensor2D;
      const idx = tf.tensor1d([0, 4], 'int32');
      expect(() => scatterRows(r, idx, 4)).toThrow(/index 4 at position 1 is outside 0..3/);
      tf.dispose([r, idx]);
    });

    it('rejects indices whose length differs from the rows', () => {
      const r = tf.ones([2, 3]) as tf.Tensor2D;
      const idx = tf.tensor1d([0], 'int32');
      expect(() => scatterRows(r, idx, 4)).toThrow(/indices must be int32 \[2\]/);
      tf.dispose([r, idx]);
    });

    it('embeddingLookup gradient equals the cpu backend (scatterND)', async () => {
      const [numRows, d, n] = [37, 9, 23];
      const tableData = uniformFloats(numRows * d, 5);
      const dyData = uniformFloats(n * d, 6);
      const ids = Array.from({ length: n }, (_, i) => (i * 11) % 13);
      const grad = () => {
        const table = tf.tensor2d(tableData, [numRows, d]);
        const idx = tf.tensor1d(ids, 'int32');
        const dy = tf.tensor2d(dyData, [n, d]);
        const g = tf.grad((t: tf.Tensor) => embeddingLookup(t as tf.Tensor2D, idx))(table, dy);
        const out = g.dataSync().slice();
        tf.dispose([table, idx, dy, g]);
        return out;
      };
      const before = tf.memory().numTensors;
      const onWasm = grad();
      expect(tf.memory().numTensors).toBe(before);
      await initBackend('cpu');
      const onCpu = grad();
      await initBackend('wasm');
      expect(maxAbs(onWasm, onCpu)).toBe(0);
    });
  });
});
