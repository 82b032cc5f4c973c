/**
 * The fused kernels (norms, activations, softmax, cross-entropy) split over the thread pool: the same
 * bits on 2 threads as on 1, on shapes that do not divide evenly, on broadcast bias and mask operands,
 * and through whole models' forward and backward passes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniformFloats } from '@flan-ts/test-support';
import { initBackend } from '../src/backend/index';
import { computeCausalGradients } from '../src/causal/gradients';
import { gatedActivation, gatedActivationGrads } from '../src/kernels/activations';
import { rmsNormForward, rmsNormGrads } from '../src/kernels/rmsNorm';
import { maskedSoftmax, softmaxGrad } from '../src/kernels/softmax';
import { blocks } from '../src/kernels/wasm/fused-split';
import {
  MIN_PARALLEL_ELEMENTS,
  setMinParallelElements,
  threadedFusedCalls,
} from '../src/kernels/wasm/fused-threaded';
import { crossEntropyLoss, tokenCrossEntropy } from '../src/loss/crossEntropy';
import { computeGradients } from '../src/t5/gradients';
import { setNumThreads, threadsInUse } from '../src/threads/index';
import { causalBatch, causalFixtureDir, loadCausalFixture, loadCausalModel } from './causal-fixtures';
import { fixtureDir, loadFixture, loadModel, referenceBatch, sameBits } from './t5-fixtures';

/** Runs `body` on 2 threads and on 1; returns both runs' outputs and the fused calls split on 2. */
async function onTwoAndOne(
  body: () => tf.Tensor[],
): Promise<{ two: Float32Array[]; one: Float32Array[]; split: number }> {
  const read = () => {
    const out = tf.tidy(body);
    const data = out.map((t) => t.dataSync() as Float32Array);
    tf.dispose(out);
    return data;
  };
  const before = tf.memory().numTensors;
  const calls = threadedFusedCalls();
  const two = read();
  const split = threadedFusedCalls() - calls;
  await setNumThreads(1);
  const one = read();
  await setNumThreads(2);
  expect(tf.memory().numTensors).toBe(before);
  return { two, one, split };
}

function expectSameBits(r: { two: Float32Array[]; one: Float32Array[] }): void {
  expect(r.two).toHaveLength(r.one.length);
  r.two.forEach((t, i) => expect(sameBits(t, r.one[i]!), `output ${i}`).toBe(true));
}

describe('blocks', () => {
  it.each([
    [
      10,
      2,
      1,
      [
        [0, 5],
        [5, 10],
      ],
    ],
    [
      1,
      2,
      1,
      [
        [0, 0],
        [0, 1],
      ],
    ],
    [
      13,
      2,
      4,
      [
        [0, 8],
        [8, 13],
      ],
    ],
    [
      4099,
      3,
      4,
      [
        [0, 1364],
        [1364, 2732],
        [2732, 4099],
      ],
    ],
    [
      0,
      2,
      1,
      [
        [0, 0],
        [0, 0],
      ],
    ],
  ])('%i over %i threads, aligned to %i', (total, threads, align, expected) => {
    expect(blocks(total, threads, align)).toEqual(expected);
  });
});

describe('threaded fused kernels on the wasm backend', () => {
  beforeAll(async () => {
    await initBackend('wasm');
    await setNumThreads(2);
    // Split everything, however small, so that one-row and odd blocks run on the workers too.
    setMinParallelElements(0);
  });
  afterAll(() => setMinParallelElements(MIN_PARALLEL_ELEMENTS));

  it('runs on 2 threads', () => {
    expect(threadsInUse()).toBe(2);
  });

  it.each([
    [1, 8],
    [7, 13],
    [37, 512],
    [64, 6],
  ])(
    'RMSNorm forward [%i, %i]: the same bits, split by rows (the gradient stays on one thread)',
    async (rows, d) => {
      const xs = uniformFloats(rows * d, rows + d, -3, 3);
      const ws = uniformFloats(d, 5, 0.5, 1.5);
      const dys = uniformFloats(rows * d, 11);
      const r = await onTwoAndOne(() => {
        const x = tf.tensor2d(xs, [rows, d]);
        const w = tf.tensor1d(ws);
        const f = rmsNormForward(x, w, 1e-6);
        const g = rmsNormGrads(tf.tensor2d(dys, [rows, d]), x, w, f.r);
        return [f.y, f.r, g.dx, g.dw];
      });
      expect(r.split).toBe(1);
      expectSameBits(r);
    },
  );

  it.each([
    ['gelu_new', true],
    ['gelu_new', false],
    ['relu', true],
  ] as const)(
    '%s (gated %s) and its gradient over 4099 elements: the same bits',
    async (activation, gated) => {
      const n = 4099;
      const h0s = uniformFloats(n, 3, -6, 6);
      const h1s = uniformFloats(n, 4, -2, 2);
      const dms = uniformFloats(n, 5, -1, 1);
      const r = await onTwoAndOne(() => {
        const h0 = tf.tensor2d(h0s, [1, n]);
        const h1 = gated ? tf.tensor2d(h1s, [1, n]) : undefined;
        const m = gatedActivation(h0, h1, activation);
        const g = gatedActivationGrads(h0, h1, tf.tensor2d(dms, [1, n]), activation);
        return [m, g.dh0, ...(g.dh1 ? [g.dh1] : [])];
      });
      expect(r.split).toBe(2);
      expectSameBits(r);
    },
  );

  it.each([
    ['bias [1,h,q,k], padding mask [b,1,1,k]', [1, 3, 5, 7], [2, 1, 1, 7]],
    ['mask [b,1,q,k]', undefined, [2, 1, 5, 7]],
    ['causal mask [1,1,q,k]', [1, 3, 5, 7], [1, 1, 5, 7]],
    ['no bias, no mask', undefined, undefined],
  ] as const)(
    'masked softmax (%s) and its gradient over [2, 3, 5, 7]: the same bits',
    async (_, biasShape, maskShape) => {
      const shape: [number, number, number, number] = [2, 3, 5, 7];
      const n = 2 * 3 * 5 * 7;
      const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
      const ms = maskShape
        ? uniformFloats(size(maskShape), 24, -1, 0).map((v) => (v < -0.6 ? -1e9 : 0))
        : undefined;
      const r = await onTwoAndOne(() => {
        const s = tf.tensor4d(uniformFloats(n, 21, -8, 8), shape);
        const bias = biasShape
          ? tf.tensor(uniformFloats(size(biasShape), 22, -2, 2), [...biasShape])
          : undefined;
        const mask = ms && maskShape ? tf.tensor(ms, [...maskShape]) : undefined;
        const p = maskedSoftmax(s, bias, mask);
        return [p, softmaxGrad(p, tf.tensor4d(uniformFloats(n, 23), shape))];
      });
      expect(r.split).toBe(2);
      expectSameBits(r);
    },
  );

  it('cross-entropy and its gradient, with ignored labels on one thread’s rows only: the same bits', async () => {
    const [tokens, vocab] = [9, 1001];
    const labels = [5, 17, 1000, 0, 3, -100, -100, 2, -100];
    const r = await onTwoAndOne(() => {
      const logits = tf.tensor2d(uniformFloats(tokens * vocab, 41, -12, 12), [tokens, vocab]);
      const lab = tf.tensor1d(labels, 'int32');
      const options = { labelSmoothing: 0.1, zLoss: 1e-4 };
      const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => crossEntropyLoss(x, lab, options))(logits);
      return [tokenCrossEntropy(logits, lab, options), value, grad];
    });
    expect(r.split).toBe(3);
    expectSameBits(r);
  });

  it('cross-entropy counts bad labels on every thread', () => {
    const logits = tf.tensor2d(uniformFloats(4 * 11, 52), [4, 11]);
    const lab = tf.tensor1d([11, 2, 3, -7], 'int32');
    const dataBefore = tf.engine().backend.numDataIds();
    expect(() => tokenCrossEntropy(logits, lab)).toThrow(/labels: 2 label id\(s\) outside \[0, 11\)/);
    expect(tf.engine().backend.numDataIds()).toBe(dataBefore);
    tf.dispose([logits, lab]);
  });

  describe.skipIf(!fixtureDir('flan-t5-tiny'))('flan-t5-tiny', () => {
    it('forward logits and every gradient: the same bits on 2 threads as on 1', async () => {
      const model = loadModel('flan-t5-tiny');
      const batch = referenceBatch(loadFixture('flan-t5-tiny').reference);
      const r = await onTwoAndOne(() => {
        const { loss, grads } = computeGradients(model, batch);
        return [
          model.forward(batch),
          loss,
          ...[...grads].sort(([a], [b]) => a.localeCompare(b)).map(([, g]) => g),
        ];
      });
      // Norms, activations and softmax forward and backward, and the loss, all split.
      expect(r.split).toBeGreaterThan(40);
      expectSameBits(r);
      tf.dispose(Object.values(batch));
      model.dispose();
    });
  });

  describe.skipIf(!causalFixtureDir('qwen3-tiny'))('qwen3-tiny', () => {
    it('loss and every gradient: the same bits on 2 threads as on 1', async () => {
      const model = loadCausalModel('qwen3-tiny');
      const batch = causalBatch(loadCausalFixture('qwen3-tiny').reference);
      const r = await onTwoAndOne(() => {
        const { loss, grads } = computeCausalGradients(model, batch);
        return [loss, ...[...grads].sort(([a], [b]) => a.localeCompare(b)).map(([, g]) => g)];
      });
      expect(r.split).toBeGreaterThan(10);
      expectSameBits(r);
      tf.dispose(Object.values(batch));
      model.dispose();
    });
  });
});
