import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index';
import { FLAN_HEAD_CONTEXT, FLAN_HEAD_SCORES, gemmInstalled, runGemm } from '../src/kernels/wasm/gemm';
import { wasmBackendInternals } from '../src/kernels/wasm/runtime';

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

const size = (shape: readonly number[]) => shape.reduce((x, y) => x * y, 1);

/** float64 `matMul` with numpy broadcasting of the batch dims. */
function referenceMatMul(
  a: Float32Array,
  aShape: number[],
  b: Float32Array,
  bShape: number[],
  transposeA: boolean,
  transposeB: boolean,
): { data: Float64Array; shape: number[] } {
  const [ar, ac] = aShape.slice(-2) as [number, number];
  const [br, bc] = bShape.slice(-2) as [number, number];
  const m = transposeA ? ac : ar;
  const k = transposeA ? ar : ac;
  const n = transposeB ? br : bc;
  const aOuter = aShape.slice(0, -2);
  const bOuter = bShape.slice(0, -2);
  const rank = Math.max(aOuter.length, bOuter.length);
  const pad = (s: number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const pa = pad(aOuter);
  const pb = pad(bOuter);
  const outOuter = pa.map((d, i) => Math.max(d, pb[i]!));
  const flat = (idx: number[], shape: number[]) =>
    idx.reduce((acc, v, i) => acc * shape[i]! + (shape[i] === 1 ? 0 : v), 0);
  const data = new Float64Array(size(outOuter) * m * n);
  const idx = new Array<number>(rank).fill(0);
  for (let t = 0; t < size(outOuter); t++) {
    let r = t;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d] = r % outOuter[d]!;
      r = Math.floor(r / outOuter[d]!);
    }
    const ao = flat(idx, pa) * ar * ac;
    const bo = flat(idx, pb) * br * bc;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) {
          const av = a[ao + (transposeA ? p * ac + i : i * ac + p)]!;
          const bv = b[bo + (transposeB ? j * bc + p : p * bc + j)]!;
          sum += av * bv;
        }
        data[t * m * n + i * n + j] = sum;
      }
    }
  }
  return { data, shape: [...outOuter, m, n] };
}

function maxRelErr(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / (1 + Math.abs(expected[i]!)));
  }
  return worst;
}

/** [a shape, b shape, transposeA, transposeB] as stored (the shapes tf.matMul receives). */
const CASES: [number[], number[], boolean, boolean][] = [
  // attention at flan-t5-small shapes
  [[1, 6, 128, 64], [1, 6, 128, 64], false, true],
  [[2, 6, 128, 128], [2, 6, 128, 64], false, false],
  [[2, 6, 32, 128], [2, 6, 32, 64], true, false],
  [[1, 6, 1, 7], [1, 6, 7, 64], false, false],
  // odd sizes: every edge of the 4x8 tile, k not a multiple of 4, k over one 256-deep block
  [[3, 5, 7], [3, 7, 9], false, false],
  [[3, 37, 19], [3, 37, 13], true, false],
  [[2, 1, 300], [2, 11, 300], false, true],
  [[5, 261], [7, 5], true, true],
  [[261, 3], [261, 130], true, false],
  [[1, 1], [1, 1], false, true],
  [[4, 0], [4, 3], true, false],
  // plain 2-D: ours from 64 rows, tfjs's XNNPACK below
  [[97, 70], [70, 33], false, false],
  [[3, 70], [70, 33], false, false],
  [[1, 600], [600, 40], false, false],
  // over 1024 columns: op(B) packed in column blocks
  [[70, 40], [40, 2100], false, false],
  [[2, 5, 40], [2, 2051, 40], false, true],
  // broadcast batch dims
  [[2, 3, 9, 6], [1, 3, 6, 10], false, false],
  [[4, 1, 5, 6], [3, 10, 6], false, true],
  [[13, 6], [2, 3, 13, 4], true, false],
  [[2, 5, 8], [8, 16], false, false],
];

describe('wasm strided GEMM (BatchMatMul)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('is installed on the wasm backend', () => {
    expect(gemmInstalled()).toBe(true);
  });

  it.each(CASES)(
    '%j x %j (transposeA %s, transposeB %s) matches a float64 reference',
    (aShape, bShape, ta, tb) => {
      const aData = values(size(aShape), size(aShape) * 7 + 1);
      const bData = values(size(bShape), size(bShape) * 13 + 2);
      const before = tf.memory().numTensors;
      const a = tf.tensor(aData, aShape);
      const b = tf.tensor(bData, bShape);
      const y = tf.matMul(a, b, ta, tb);
      const expected = referenceMatMul(aData, aShape, bData, bShape, ta, tb);
      expect(y.shape).toEqual(expected.shape);
      expect(maxRelErr(y.dataSync(), expected.data)).toBeLessThan(1e-5);
      tf.dispose([a, b, y]);
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('reads strided operands in place: one head of [batch·len, heads·dKv] matrices', () => {
    const [batch, len, heads, dKv] = [2, 5, 3, 4];
    const qData = values(batch * len * heads * dKv, 11);
    const kData = values(batch * len * heads * dKv, 12);
    const q = tf.tensor2d(qData, [batch * len, heads * dKv]);
    const k = tf.tensor2d(kData, [batch * len, heads * dKv]);
    const scores = tf.zeros([batch, heads, len, len]);
    const batches = [];
    for (let bi = 0; bi < batch; bi++) {
      for (let h = 0; h < heads; h++) {
        const o = bi * len * heads * dKv + h * dKv;
        batches.push({ a: o, b: o, c: (bi * heads + h) * len * len });
      }
    }
    const ld = heads * dKv;
    runGemm(wasmBackendInternals()!, q, k, scores, {
      m: len,
      n: len,
      k: dKv,
      lda: ld,
      ldb: ld,
      ldc: len,
      transA: false,
      transB: true,
      batches,
    });
    const split = (x: tf.Tensor2D) => tf.transpose(tf.reshape(x, [batch, len, heads, dKv]), [0, 2, 1, 3]);
    const qs = split(q);
    const ks = split(k);
    const expected = referenceMatMul(
      qs.dataSync() as Float32Array,
      qs.shape,
      ks.dataSync() as Float32Array,
      ks.shape,
      false,
      true,
    );
    expect(maxRelErr(scores.dataSync(), expected.data)).toBeLessThan(1e-5);
    tf.dispose([q, k, scores, qs, ks]);
  });

  /** `[batch·len, heads·dKv]` → `[batch, heads, len, dKv]` values, for the references. */
  function split(data: Float32Array, batch: number, len: number, heads: number, dKv: number): Float32Array {
    const out = new Float32Array(data.length);
    for (let b = 0; b < batch; b++)
      for (let i = 0; i < len; i++)
        for (let h = 0; h < heads; h++)
          for (let j = 0; j < dKv; j++)
            out[((b * heads + h) * len + i) * dKv + j] = data[(b * len + i) * heads * dKv + h * dKv + j]!;
    return out;
  }

  it.each([
    [1, 128, 128, 6, 64],
    [2, 7, 13, 3, 5],
    [3, 1, 9, 2, 4],
  ])(
    '%s: scores of [batch·len, heads·dKv] q (len %s) and k (len %s), %s heads of %s',
    (batch, lq, lk, heads, dKv) => {
      const qData = values(batch * lq * heads * dKv, 21);
      const kData = values(batch * lk * heads * dKv, 22);
      const before = tf.memory().numTensors;
      const q = tf.tensor2d(qData, [batch * lq, heads * dKv]);
      const k = tf.tensor2d(kData, [batch * lk, heads * dKv]);
      const y = tf.engine().runKernel(FLAN_HEAD_SCORES, { a: q, b: k }, { batch, heads }) as tf.Tensor;
      const expected = referenceMatMul(
        split(qData, batch, lq, heads, dKv),
        [batch, heads, lq, dKv],
        split(kData, batch, lk, heads, dKv),
        [batch, heads, lk, dKv],
        false,
        true,
      );
      expect(y.shape).toEqual(expected.shape);
      expect(maxRelErr(y.dataSync(), expected.data)).toBeLessThan(1e-5);
      tf.dispose([q, k, y]);
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it.each([
    [1, 128, 128, 6, 64, false],
    [2, 7, 13, 3, 5, false],
    [2, 7, 13, 3, 5, true],
    [3, 1, 9, 2, 4, true],
  ])(
    '%s: context of p [batch, heads, %s, %s] and merged v, %s heads of %s, transposeP %s',
    (batch, rows, cols, heads, dKv, transposeP) => {
      const len = transposeP ? rows : cols;
      const outLen = transposeP ? cols : rows;
      const pData = values(batch * heads * rows * cols, 31);
      const vData = values(batch * len * heads * dKv, 32);
      const before = tf.memory().numTensors;
      const p = tf.tensor4d(pData, [batch, heads, rows, cols]);
      const v = tf.tensor2d(vData, [batch * len, heads * dKv]);
      const y = tf.engine().runKernel(FLAN_HEAD_CONTEXT, { p, v }, { transposeP }) as tf.Tensor;
      const perHead = referenceMatMul(
        pData,
        [batch, heads, rows, cols],
        split(vData, batch, len, heads, dKv),
        [batch, heads, len, dKv],
        transposeP,
        false,
      );
      // merged: element (i, j) of head h of batch b at (b·outLen + i)·heads·dKv + h·dKv + j
      const expected = new Float64Array(perHead.data.length);
      for (let b = 0; b < batch; b++)
        for (let h = 0; h < heads; h++)
          for (let i = 0; i < outLen; i++)
            for (let j = 0; j < dKv; j++)
              expected[(b * outLen + i) * heads * dKv + h * dKv + j] =
                perHead.data[((b * heads + h) * outLen + i) * dKv + j]!;
      expect(y.shape).toEqual([batch * outLen, heads * dKv]);
      expect(maxRelErr(y.dataSync(), expected)).toBeLessThan(1e-5);
      tf.dispose([p, v, y]);
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('leaves non-float32 products to tfjs (whose wasm kernel rejects them)', () => {
    const a = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2], 'int32');
    expect(() => tf.matMul(a, a, false, true)).toThrow(/non-float32/);
    a.dispose();
  });
});
