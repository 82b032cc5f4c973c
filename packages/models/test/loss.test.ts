import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type BackendName } from '../src/backend/index';
import { crossEntropyLoss, LossInputError, tokenCrossEntropy } from '../src/loss/crossEntropy';
import { fixtureDir, loadFixture, maxAbsDiff } from './t5-fixtures';

/** float64 reference of one token's loss: HF label smoothing, t5x z-loss. */
function tokenLoss(row: number[], label: number, smoothing: number, z: number): number {
  const max = Math.max(...row);
  const lse = Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0)) + max;
  const nll = lse - row[label]!;
  const uniform = lse - row.reduce((s, v) => s + v, 0) / row.length;
  return (1 - smoothing) * nll + smoothing * uniform + z * lse * lse;
}

const LOGITS = [
  [2.5, -1, 0.3, 7, -3],
  [0.1, 0.2, 0.3, 0.4, 0.5],
  [-50, 30, 1, 0, 2],
  [1, 1, 1, 1, 1],
];
const LABELS = [3, -100, 1, 4];

for (const backend of ['wasm', 'cpu'] as BackendName[]) {
  describe(`token cross-entropy on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    for (const [smoothing, z] of [
      [0, 0],
      [0.1, 0],
      [0, 1e-4],
      [0.2, 0.01],
    ] as const) {
      it(`per-token losses, mean and gradient (smoothing ${smoothing}, z-loss ${z})`, () => {
        const options = { labelSmoothing: smoothing, zLoss: z };
        const expected = LOGITS.map((row, i) =>
          LABELS[i] === -100 ? 0 : tokenLoss(row, LABELS[i]!, smoothing, z),
        );
        const mean = expected.reduce((a, b) => a + b, 0) / 3;
        const logits = tf.tensor2d(LOGITS);
        const labels = tf.tensor1d(LABELS, 'int32');
        const before = tf.memory().numTensors;
        const perToken = tokenCrossEntropy(logits, labels, options);
        expect(maxAbsDiff(perToken.dataSync(), expected)).toBeLessThan(1e-5);
        const gradFn = tf.valueAndGrad((x: tf.Tensor) => crossEntropyLoss(x, labels, options));
        const { value, grad } = gradFn(logits);
        expect(Math.abs(value.dataSync()[0]! - mean)).toBeLessThan(1e-5);
        // Central differences of the float64 reference.
        const numeric: number[] = [];
        const h = 1e-4;
        LOGITS.forEach((row, i) =>
          row.forEach((_, j) => {
            if (LABELS[i] === -100) return numeric.push(0);
            const up = row.map((v, k) => (k === j ? v + h : v));
            const down = row.map((v, k) => (k === j ? v - h : v));
            numeric.push(
              (tokenLoss(up, LABELS[i]!, smoothing, z) - tokenLoss(down, LABELS[i]!, smoothing, z)) /
                (2 * h) /
                3,
            );
          }),
        );
        expect(maxAbsDiff(grad.dataSync(), numeric)).toBeLessThan(1e-5);
        tf.dispose([perToken, value, grad]);
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose([logits, labels]);
      });
    }

    it('is 0 with a zero gradient when every label is ignored', () => {
      const logits = tf.tensor2d(LOGITS);
      const labels = tf.fill([4], -100, 'int32');
      const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => crossEntropyLoss(x, labels))(logits);
      expect(value.dataSync()[0]).toBe(0);
      expect(Math.max(...grad.dataSync().map(Math.abs))).toBe(0);
      tf.dispose([logits, labels, value, grad]);
    });

    it('rejects float labels, mismatched shapes and bad options with a named error', () => {
      const logits = tf.tensor2d(LOGITS);
      expect(() => crossEntropyLoss(logits, tf.tensor1d([1, 2, 3, 4]))).toThrow(/labels: expected int32/);
      expect(() => crossEntropyLoss(logits, tf.tensor1d([1, 2, 3], 'int32'))).toThrow(LossInputError);
      expect(() =>
        tokenCrossEntropy(logits, tf.tensor1d([1, 2, 3, 4], 'int32'), { labelSmoothing: 1 }),
      ).toThrow(/labelSmoothing/);
      expect(() => tokenCrossEntropy(logits, tf.tensor1d([1, 2, 3, 4], 'int32'), { zLoss: NaN })).toThrow(
        /zLoss/,
      );
      logits.dispose();
    });

    describe.skipIf(!fixtureDir('flan-t5-tiny'))('on the reference logits', () => {
      it('gives the reference loss and per-token losses (flan-t5-tiny) within 1e-5', () => {
        const f = loadFixture('flan-t5-tiny');
        const logits = tf.tensor(f.expected.get('logits')!.data, [...f.expected.get('logits')!.shape]);
        const labels = tf.tensor2d(f.reference.inputs.labels, undefined, 'int32');
        const loss = crossEntropyLoss(logits, labels);
        const perToken = tokenCrossEntropy(logits, labels);
        expect(perToken.shape).toEqual([3, 9]);
        expect(Math.abs(loss.dataSync()[0]! - f.reference.loss)).toBeLessThan(1e-5);
        expect(maxAbsDiff(perToken.dataSync(), f.reference.per_token_loss.flat())).toBeLessThan(1e-5);
        tf.dispose([logits, labels, loss, perToken]);
      });
    });
  });
}
