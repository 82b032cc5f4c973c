/**
 * The fused wasm kernels (`assembly/fused.ts`) against the composite tfjs code they replace, run on
 * the cpu backend: same inputs, odd widths, masked rows, extreme values, ignored labels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index';
import { gatedActivation, gatedActivationGrads } from '../src/kernels/activations';
import { rmsNormForward, rmsNormGrads } from '../src/kernels/rmsNorm';
import { maskedSoftmax, softmaxGrad } from '../src/kernels/softmax';
import { FUSED_KERNELS, fusedKernelModule } from '../src/kernels/wasm/fused';
import { hasKernel, heapOffset, wasmBackendInternals } from '../src/kernels/wasm/runtime';
import { crossEntropyLoss, LossInputError, tokenCrossEntropy } from '../src/loss/crossEntropy';
import { uniformFloats } from '@flan-ts/test-support';

type Arrays = Float32Array[];

/** Runs `f` on cpu (composite) and on wasm (fused), returning both results as arrays. */
async function both(f: () => tf.Tensor[]): Promise<{ cpu: Arrays; wasm: Arrays }> {
  const out: Record<string, Arrays> = {};
  for (const backend of ['cpu', 'wasm'] as const) {
    await initBackend(backend);
    const before = tf.memory().numTensors;
    const ts = tf.tidy(f);
    out[backend] = ts.map((t) => t.dataSync() as Float32Array);
    tf.dispose(ts);
    expect(tf.memory().numTensors, `tensors leaked on ${backend}`).toBe(before);
  }
  return { cpu: out.cpu!, wasm: out.wasm! };
}

/** Largest |a − b| / (|b| + floor) over the elements (NaN where either is NaN and the other not). */
function maxRelDiff(a: Float32Array, b: Float32Array, floor = 1e-3): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (!(Number.isNaN(x) && Number.isNaN(y))) return NaN;
      continue;
    }
    if (x === y) continue;
    m = Math.max(m, Math.abs(x - y) / (Math.abs(y) + floor));
  }
  return m;
}

/** max |a − b| / max |b|: for outputs with cancellation (the softmax gradient), where elementwise relative error is not meaningful. */
function normRelDiff(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return num / den;
}

function expectClose(r: { cpu: Arrays; wasm: Arrays }, tol: number, floor?: number): void {
  expect(r.wasm.length).toBe(r.cpu.length);
  r.cpu.forEach((c, i) => expect(maxRelDiff(r.wasm[i]!, c, floor), `output ${i}`).toBeLessThan(tol));
}

/** Distance in float32 units in the last place (both finite, same sign or zero). */
function ulps(a: number, b: number): number {
  const f = new Float32Array([a, b]);
  const i = new Int32Array(f.buffer);
  const ia = i[0]! < 0 ? -2147483648 - i[0]! : i[0]!;
  const ib = i[1]! < 0 ? -2147483648 - i[1]! : i[1]!;
  return Math.abs(ia - ib);
}

describe('fused wasm kernels', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('are registered on wasm only', async () => {
    await initBackend('wasm');
    for (const name of Object.values(FUSED_KERNELS)) expect(hasKernel(name), name).toBe(true);
    await initBackend('cpu');
    for (const name of Object.values(FUSED_KERNELS)) expect(hasKernel(name), name).toBe(false);
  });

  it('SIMD exp is within 2 ulp of Math.exp over [-104, 89], with overflow, underflow, NaN and ±inf', async () => {
    await initBackend('wasm');
    const wide = uniformFloats(200_003, 7, -104, 89);
    const small = uniformFloats(50_001, 8, -1, 1);
    const special = [
      0,
      -0,
      88.72,
      88.7228,
      88.7229,
      89,
      1e10,
      Infinity,
      -87.3,
      -87.4,
      -100,
      -103.9,
      -104,
      -1e10,
    ];
    const xs = new Float32Array([...wide, ...small, ...special, -Infinity, NaN]);
    const x = tf.tensor1d(xs);
    const y = tf.zeros([xs.length]);
    const backend = wasmBackendInternals()!;
    fusedKernelModule()!.expArray(heapOffset(backend, x), heapOffset(backend, y), xs.length, false);
    const got = y.dataSync();
    let worst = 0;
    let worstSub = 0;
    for (let i = 0; i < xs.length - 2; i++) {
      const want = Math.fround(Math.exp(xs[i]!));
      if (want === Infinity) expect(got[i], `exp(${xs[i]})`).toBe(Infinity);
      else if (want < 1.1754944e-38) worstSub = Math.max(worstSub, Math.abs(got[i]! - want));
      else worst = Math.max(worst, ulps(got[i]!, want));
    }
    expect(worst).toBeLessThanOrEqual(2);
    // Subnormal results: within a few of the smallest subnormal (1.4e-45) of the correctly rounded value.
    expect(worstSub).toBeLessThan(1e-44);
    expect(got[xs.length - 2]).toBe(0);
    expect(got[xs.length - 1]).toBeNaN();
    tf.dispose([x, y]);
  });

  it('SIMD exp for x ≤ 0 (softmax, cross-entropy) is within 2 ulp of Math.exp and flushes below the smallest normal', async () => {
    await initBackend('wasm');
    const xs = new Float32Array([
      ...uniformFloats(200_003, 9, -90, 0),
      ...uniformFloats(50_001, 10, -1, 0),
      0,
      -0,
      -87.33,
      -87.3365,
      -87.34,
      -88,
      -103.9,
      -1e10,
      -Infinity,
      NaN,
    ]);
    const x = tf.tensor1d(xs);
    const y = tf.zeros([xs.length]);
    const backend = wasmBackendInternals()!;
    fusedKernelModule()!.expArray(heapOffset(backend, x), heapOffset(backend, y), xs.length, true);
    const got = y.dataSync();
    let worst = 0;
    for (let i = 0; i < xs.length - 1; i++) {
      const want = Math.fround(Math.exp(xs[i]!));
      if (want >= 1.1754944e-38) worst = Math.max(worst, ulps(got[i]!, want));
      else expect(got[i]! === 0 || Math.abs(got[i]! - want) < 1e-44, `exp(${xs[i]})`).toBe(true);
    }
    expect(worst).toBeLessThanOrEqual(2);
    expect(got[xs.length - 1]).toBeNaN();
    tf.dispose([x, y]);
  });

  for (const [rows, d] of [
    [7, 13],
    [37, 512],
    [3, 4],
  ] as const) {
    it(`RMSNorm forward and gradient [${rows}, ${d}] match the composite ops`, async () => {
      const xs = uniformFloats(rows * d, rows + d, -3, 3);
      xs.fill(0, 0, d); // a zero row: r = 1/√eps
      xs[d] = 1e3;
      const ws = uniformFloats(d, 5, 0.5, 1.5);
      const dys = uniformFloats(rows * d, 11);
      const r = await both(() => {
        const x = tf.tensor2d(xs, [rows, d]);
        const w = tf.tensor1d(ws);
        const f = rmsNormForward(x, w, 1e-6);
        const g = rmsNormGrads(tf.tensor2d(dys, [rows, d]), x, w, f.r);
        return [f.y, f.r, g.dx, g.dw];
      });
      expectClose(r, 2e-5);
    });
  }

  for (const activation of ['gelu_new', 'relu'] as const) {
    for (const gated of [true, false]) {
      it(`${gated ? 'gated ' : ''}${activation} and its gradient match the composite ops`, async () => {
        const n = 4099;
        const h0s = uniformFloats(n, 3, -6, 6);
        h0s.set([0, -0, 1e-8, -1e-8, 20, -20, 100, -100, 1e4, -1e4, 3e38, -3e38], 0);
        const h1s = uniformFloats(n, 4, -2, 2);
        const dms = uniformFloats(n, 5, -1, 1);
        const r = await both(() => {
          const h0 = tf.tensor2d(h0s, [1, n]);
          const h1 = gated ? tf.tensor2d(h1s, [1, n]) : undefined;
          const m = gatedActivation(h0, h1, activation);
          const g = gatedActivationGrads(h0, h1, tf.tensor2d(dms, [1, n]), activation);
          return [m, g.dh0, ...(g.dh1 ? [g.dh1] : [])];
        });
        expectClose(r, 2e-5);
      });
    }
  }

  const MASKED = -1e9;
  for (const [label, maskShape] of [
    ['padding mask [b,1,1,k]', [2, 1, 1, 7]],
    ['mask [b,1,q,k]', [2, 1, 5, 7]],
    ['causal mask [1,1,q,k]', [1, 1, 5, 7]],
    ['no mask', undefined],
  ] as const) {
    for (const withBias of [true, false]) {
      it(`masked softmax (${label}${withBias ? ', bias [1,h,q,k]' : ''}) and its gradient match the composite ops`, async () => {
        const shape: [number, number, number, number] = [2, 3, 5, 7];
        const n = 2 * 3 * 5 * 7;
        const ss = uniformFloats(n, 21, -8, 8);
        ss[3] = 80; // large scores: shifting by the row max keeps exp finite
        const bs = uniformFloats(3 * 5 * 7, 22, -2, 2);
        const ms = maskShape
          ? new Float32Array(maskShape.reduce((a: number, b: number) => a * b, 1))
          : undefined;
        if (ms) {
          for (let i = 0; i < ms.length; i++) if (i % 3 === 1) ms[i] = MASKED;
          ms.fill(MASKED, 0, 7); // a fully masked row: uniform probabilities, as in the composite
        }
        const dps = uniformFloats(n, 23);
        const r = await both(() => {
          const s = tf.tensor4d(ss, shape);
          const bias = withBias ? tf.tensor4d(bs, [1, 3, 5, 7]) : undefined;
          const mask = ms && maskShape ? tf.tensor(ms, [...maskShape]) : undefined;
          const p = maskedSoftmax(s, bias, mask);
          return [p, softmaxGrad(p, tf.tensor4d(dps, shape))];
        });
        expect(maxRelDiff(r.wasm[0]!, r.cpu[0]!, 1e-6)).toBeLessThan(2e-5);
        expect(normRelDiff(r.wasm[1]!, r.cpu[1]!)).toBeLessThan(2e-6);
      });
    }
  }

  it('masked softmax falls back to the composite ops for shapes the kernel does not take', async () => {
    await initBackend('wasm');
    const s = tf.tensor3d(uniformFloats(2 * 3 * 4, 31), [2, 3, 4]);
    const lastAxisBroadcast = tf.tensor4d([0.5], [1, 1, 1, 1]);
    const p = maskedSoftmax(s);
    const p4 = maskedSoftmax(tf.reshape(s, [1, 2, 3, 4]), lastAxisBroadcast);
    expect(maxRelDiff(p4.dataSync() as Float32Array, p.dataSync() as Float32Array)).toBeLessThan(1e-6);
    expect(
      tf
        .sum(p, -1)
        .dataSync()
        .every((v) => Math.abs(v - 1) < 1e-6),
    ).toBe(true);
  });

  for (const [smoothing, z] of [
    [0, 0],
    [0.1, 1e-4],
  ] as const) {
    it(`cross-entropy over a 32128 vocabulary (smoothing ${smoothing}, z-loss ${z}) matches the composite ops`, async () => {
      const tokens = 9;
      const vocab = 32128;
      const xs = uniformFloats(tokens * vocab, 41, -12, 12);
      xs[5] = 60; // extreme logits
      xs[vocab + 9] = -1e4;
      const labels = [5, -100, 32127, 0, 17, -100, 31000, 2, 3];
      const r = await both(() => {
        const logits = tf.tensor2d(xs, [tokens, vocab]);
        const lab = tf.tensor1d(labels, 'int32');
        const options = { labelSmoothing: smoothing, zLoss: z };
        const perToken = tokenCrossEntropy(logits, lab, options);
        const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => crossEntropyLoss(x, lab, options))(logits);
        return [perToken, value, grad];
      });
      expectClose(r, 1e-5, 1e-6);
      // Ignored rows contribute nothing and get no gradient.
      expect(r.wasm[0]![1]).toBe(0);
      expect(r.wasm[2]!.subarray(vocab, 2 * vocab).every((v) => v === 0)).toBe(true);
    });
  }

  it('cross-entropy of all-ignored labels is 0 with a zero gradient', async () => {
    const r = await both(() => {
      const logits = tf.tensor2d(uniformFloats(3 * 11, 51), [3, 11]);
      const lab = tf.tensor1d([-100, -100, -100], 'int32');
      const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => crossEntropyLoss(x, lab))(logits);
      return [value, grad];
    });
    expect(Array.from(r.wasm[0]!)).toEqual([0]);
    expect(r.wasm[1]!.every((v) => v === 0)).toBe(true);
    expectClose(r, 1e-6);
  });

  it('cross-entropy names labels outside the vocabulary', async () => {
    await initBackend('wasm');
    const before = tf.memory().numTensors;
    const logits = tf.tensor2d(uniformFloats(2 * 11, 52), [2, 11]);
    const lab = tf.tensor1d([3, 11], 'int32');
    const negative = tf.tensor1d([-1, 2], 'int32');
    expect(() => tokenCrossEntropy(logits, lab)).toThrow(LossInputError);
    expect(() => crossEntropyLoss(logits, negative)).toThrow(/labels: 1 label id\(s\) outside \[0, 11\)/);
    tf.dispose([logits, lab, negative]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
