import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index';
import { activate, activationDerivative } from '../src/kernels/activations';
import { rmsNormOp } from '../src/kernels/rmsNorm';
import type { T5Activation } from '../src/t5/config';
import { maxAbsDiff } from './t5-fixtures';

/** float64 references: HF's definitions. */
function erf(x: number): number {
  // Abramowitz-Stegun 7.1.26 is too coarse; integrate the series instead (|x| ≤ 6 here).
  let sum = 0;
  let term = x;
  for (let n = 0; n < 200; n++) {
    sum += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
const REFERENCE: Record<T5Activation, (x: number) => number> = {
  relu: (x) => Math.max(0, x),
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  gelu_new: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
};

const XS = [-5.5, -3, -1.7, -0.9, -0.31, -0.05, 0.07, 0.4, 1, 1.9, 3.3, 5.2];

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`kernels on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    for (const activation of ['relu', 'gelu', 'gelu_new'] as const) {
      it(`${activation}: values and derivative match float64 references`, () => {
        const x = tf.tensor1d(XS);
        const y = activate(x, activation);
        const dy = activationDerivative(x, activation);
        const h = 1e-5;
        const f = REFERENCE[activation];
        expect(maxAbsDiff(y.dataSync(), XS.map(f))).toBeLessThan(2e-6);
        expect(
          maxAbsDiff(
            dy.dataSync(),
            XS.map((v) => (f(v + h) - f(v - h)) / (2 * h)),
          ),
        ).toBeLessThan(2e-5);
        tf.dispose([x, y, dy]);
      });
    }

    it('rmsNorm gradient matches central differences of a float64 reference', () => {
      const xData = [0.3, -1.2, 2.5, 0.7, -0.4, 1.1, -2.2, 0.05];
      const wData = [1.1, 0.9, -0.5, 1.3];
      const dyData = [0.2, -0.7, 1.5, 0.3, -1.1, 0.4, 0.9, -0.6];
      const ref = (xs: number[], ws: number[]) => {
        let out = 0;
        for (let r = 0; r < 2; r++) {
          const row = xs.slice(4 * r, 4 * r + 4);
          const inv = 1 / Math.sqrt(row.reduce((s, v) => s + v * v, 0) / 4 + 1e-6);
          row.forEach((v, i) => (out += dyData[4 * r + i]! * ws[i]! * v * inv));
        }
        return out;
      };
      const x = tf.tensor2d(xData, [2, 4]);
      const w = tf.tensor1d(wData);
      const dy = tf.tensor2d(dyData, [2, 4]);
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        rmsNormOp(a as tf.Tensor2D, b as tf.Tensor1D, 1e-6),
      )([x, w], dy);
      const h = 1e-6;
      const numeric = (arr: number[], which: 'x' | 'w') =>
        arr.map((_, i) => {
          const up = arr.map((v, j) => (j === i ? v + h : v));
          const down = arr.map((v, j) => (j === i ? v - h : v));
          return which === 'x'
            ? (ref(up, wData) - ref(down, wData)) / (2 * h)
            : (ref(xData, up) - ref(xData, down)) / (2 * h);
        });
      expect(maxAbsDiff(dx!.dataSync(), numeric(xData, 'x'))).toBeLessThan(1e-4);
      expect(maxAbsDiff(dw!.dataSync(), numeric(wData, 'w'))).toBeLessThan(1e-4);
      tf.dispose([x, w, dy, dx!, dw!]);
    });
  });
}
