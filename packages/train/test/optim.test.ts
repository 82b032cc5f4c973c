/** The optimizers, schedules and clipping on their own (cpu backend, small tensors, no model). */
import { initBackend } from '@flan-ts/models';
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  OptimizerStateError,
  clipCoefficient,
  constantSchedule,
  cosineSchedule,
  createOptimizer,
  createSchedule,
  globalNorm,
  linearDecaySchedule,
  linearWarmupSchedule,
  rsqrtSchedule,
  t5xDecayRate,
  t5xFactoredDims,
  type OptimizerConfig,
} from '../src/optim/index';
import { blockSum } from '../src/optim/reduce';
import { TRAINING_DIR, readJson, type Trajectory } from './trainer-fixtures';

beforeAll(async () => {
  await initBackend('cpu');
});

/** Deterministic pseudo-random values in (-1, 1). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

function makeParams(seed: number): Map<string, Variable> {
  const shapes: Record<string, number[]> = { 'a.weight': [6, 4], 'b.weight': [5], 'c.weight': [2, 3, 4] };
  const out = new Map<string, Variable>();
  for (const [i, [name, shape]] of Object.entries(shapes).entries()) {
    const t = tf.tensor(
      values(
        shape.reduce((a, b) => a * b, 1),
        seed + i,
      ),
      shape,
    );
    out.set(name, tf.variable(t, false));
    t.dispose();
  }
  return out;
}

function makeGrads(params: Map<string, Variable>, seed: number): Map<string, Tensor> {
  return new Map(
    [...params].map(([name, p], i) => [name, tf.tensor(values(p.size, seed * 31 + i), p.shape)]),
  );
}

const CONFIGS: OptimizerConfig[] = [
  { name: 'adafactor', learningRate: 1e-2 },
  { name: 'adafactor', learningRate: 1e-2, beta1: 0.9, weightDecay: 0.1, scaleParameter: true },
  { name: 'adafactor-t5x', learningRate: 1e-2, minDimSizeToFactor: 4 },
  { name: 'adamw', learningRate: 1e-2 },
];

describe('t5x decay and factoring rule', () => {
  it.skipIf(!TRAINING_DIR)(
    'decay rates equal the recorded float32 values bit for bit; β₂ₜ of HF within float32 rounding',
    () => {
      const t5x = readJson<Trajectory>('optimizer_t5x_adafactor.json');
      for (const [i, s] of t5x.steps.entries()) expect(t5xDecayRate(i, 0.8)).toBe(Math.fround(s.decay_rate!));
      const hf = readJson<Trajectory>('optimizer_hf_adafactor.json');
      for (const [i, s] of hf.steps.entries())
        expect(Math.abs(t5xDecayRate(i, 0.8) - s.beta2t!)).toBeLessThan(6e-8);
      expect(t5xDecayRate(5, 0.8, 5)).toBe(0);
    },
  );

  it('factors by the second-largest dim, in stable argsort order', () => {
    expect(t5xFactoredDims([128, 64], 64)).toEqual([1, 0]);
    expect(t5xFactoredDims([64, 64], 64)).toEqual([0, 1]);
    expect(t5xFactoredDims([64, 128], 64)).toEqual([0, 1]);
    expect(t5xFactoredDims([32, 4], 64)).toBeUndefined();
    expect(t5xFactoredDims([32128, 64], 128)).toBeUndefined();
    expect(t5xFactoredDims([64], 1)).toBeUndefined();
    expect(t5xFactoredDims([128, 128], 128, false)).toBeUndefined();
  });
});

describe('schedules', () => {
  it('constant, warmup, linear, cosine and rsqrt multipliers (0-based steps, as HF and t5x)', () => {
    expect(constantSchedule()(123)).toBe(1);
    const w = linearWarmupSchedule(4);
    expect([0, 1, 2, 3, 4, 10].map(w)).toEqual([0, 0.25, 0.5, 0.75, 1, 1]);
    const lin = linearDecaySchedule(10, 2);
    expect([0, 1, 2, 6, 10, 12].map(lin)).toEqual([0, 0.5, 1, 0.5, 0, 0]);
    const cos = cosineSchedule(10, 0);
    expect(cos(0)).toBe(1);
    expect(cos(5)).toBeCloseTo(0.5, 12);
    expect(cos(10)).toBeCloseTo(0, 12);
    const rs = rsqrtSchedule(100);
    expect(rs(0)).toBe(0.1);
    expect(rs(400)).toBe(0.05);
    expect(createSchedule({ name: 'linear', totalSteps: 10, warmupSteps: 2 })(6)).toBe(0.5);
    expect(() => linearDecaySchedule(0)).toThrow(RangeError);
    expect(() => createSchedule({ name: 'nope' } as never)).toThrow(/unknown schedule/);
  });
});

describe('clipping', () => {
  it.skipIf(!TRAINING_DIR)("torch's coefficient from its float32 total norm", () => {
    const ref = readJson<{ steps: { clip_grad_norm_returned_float32: number; clip_coef: number }[] }>(
      'optimizer_adamw.json',
    );
    for (const s of ref.steps) {
      expect(
        Math.abs(clipCoefficient(s.clip_grad_norm_returned_float32, 1) - s.clip_coef) / s.clip_coef,
      ).toBeLessThan(1e-7);
    }
    expect(clipCoefficient(0.5, 1)).toBe(1);
  });

  it('global norm over all tensors, and block sums accurate over large tensors', () => {
    const a = tf.tensor([3, 0]);
    const b = tf.tensor([[4]]);
    const n = globalNorm([a, b]);
    expect(n.dataSync()[0]).toBe(5);
    const ones = tf.ones([1000, 3]);
    const s = tf.tidy(() => blockSum(ones));
    expect(s.dataSync()[0]).toBe(3000);
    tf.dispose([a, b, n, ones, s]);
  });
});

describe('optimizers', () => {
  it('defaults as the references (HF Adafactor finetuning setting, t5x, torch AdamW)', () => {
    const params = makeParams(1);
    const hf = createOptimizer({ name: 'adafactor', learningRate: 1e-3 }, params);
    expect(hf.config).toMatchObject({
      eps: [1e-30, 1e-3],
      clipThreshold: 1,
      decayRate: -0.8,
      beta1: null,
      weightDecay: 0,
      scaleParameter: false,
      relativeStep: false,
      warmupInit: false,
    });
    const t5x = createOptimizer({ name: 'adafactor-t5x', learningRate: 1e-3 }, params);
    expect(t5x.config).toMatchObject({
      decayRate: 0.8,
      clippingThreshold: 1,
      multiplyByParameterScale: true,
      minDimSizeToFactor: 128,
      epsilon1: 1e-30,
      epsilon2: 1e-3,
      stepOffset: 0,
    });
    const adamw = createOptimizer({ name: 'adamw' }, params);
    expect(adamw.config).toMatchObject({
      learningRate: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0.01,
    });
    expect(() => createOptimizer({ name: 'sgd' } as never, params)).toThrow(/unknown optimizer/);
    expect(() => createOptimizer({ name: 'adafactor' }, params)).toThrow(/learningRate is required/);
    tf.dispose([hf, t5x, adamw].map((o) => (o.dispose(), [])).flat());
    tf.dispose([...params.values()]);
  });

  it('state keys are stable, `<param>/<slot>`, and factored state stays factored', () => {
    const params = makeParams(2);
    const keys = (config: OptimizerConfig) => {
      const o = createOptimizer(config, params);
      const k = [...o.state().tensors].map(([key, t]) => `${key}:[${t.shape.join(',')}]`).sort();
      o.dispose();
      return k;
    };
    expect(keys({ name: 'adafactor', learningRate: 1e-3 })).toEqual([
      'a.weight/exp_avg_sq_col:[4]',
      'a.weight/exp_avg_sq_row:[6]',
      'b.weight/exp_avg_sq:[5]',
      'c.weight/exp_avg_sq_col:[2,4]',
      'c.weight/exp_avg_sq_row:[2,3]',
    ]);
    expect(keys({ name: 'adafactor-t5x', learningRate: 1e-3, minDimSizeToFactor: 4 })).toEqual([
      'a.weight/v_col:[6]',
      'a.weight/v_row:[4]',
      'b.weight/v:[5]',
      'c.weight/v:[2,3,4]',
    ]);
    expect(keys({ name: 'adafactor-t5x', learningRate: 1e-3, minDimSizeToFactor: 3 })).toContain(
      'c.weight/v_row:[2,3]',
    );
    expect(keys({ name: 'adamw' })).toEqual([
      'a.weight/exp_avg:[6,4]',
      'a.weight/exp_avg_sq:[6,4]',
      'b.weight/exp_avg:[5]',
      'b.weight/exp_avg_sq:[5]',
      'c.weight/exp_avg:[2,3,4]',
      'c.weight/exp_avg_sq:[2,3,4]',
    ]);
    tf.dispose([...params.values()]);
  });

  for (const config of CONFIGS) {
    it(`${config.name} ${JSON.stringify(config)}: a saved state resumes bit-identically, no tensors leak per update`, () => {
      const pa = makeParams(3);
      const pb = makeParams(3);
      const a = createOptimizer(config, pa);
      const b = createOptimizer(config, pb);
      const grads = [1, 2, 3].map((s) => makeGrads(pa, s));
      a.update(grads[0]!, { learningRate: 2e-2, gradScale: 0.5 });
      const before = tf.memory().numTensors;
      a.update(grads[1]!);
      expect(tf.memory().numTensors).toBe(before);
      // b takes a's weights and state, then both take the same third update.
      for (const [name, p] of pb) p.assign(pa.get(name)!);
      b.loadState(a.state());
      expect(b.stepCount).toBe(2);
      a.update(grads[2]!);
      b.update(grads[2]!);
      for (const [name, p] of pa) {
        expect(Array.from(pb.get(name)!.dataSync()), name).toEqual(Array.from(p.dataSync()));
        expect(Array.from(p.dataSync()).every(Number.isFinite)).toBe(true);
      }
      for (const [key, t] of a.state().tensors)
        expect(Array.from(b.state().tensors.get(key)!.dataSync()), key).toEqual(Array.from(t.dataSync()));
      a.dispose();
      b.dispose();
      tf.dispose([...pa.values(), ...pb.values(), ...grads.flatMap((g) => [...g.values()])]);
    });
  }

  it('loadState rejects missing keys, wrong shapes and a bad step; update rejects unknown parameters', () => {
    const params = makeParams(4);
    const o = createOptimizer({ name: 'adamw' }, params);
    const state = o.state();
    const partial = new Map(state.tensors);
    partial.delete('b.weight/exp_avg');
    expect(() => o.loadState({ step: 1, tensors: partial })).toThrow(/missing \["b.weight\/exp_avg"\]/);
    const wrong = new Map(state.tensors);
    const bad = tf.zeros([7]);
    wrong.set('b.weight/exp_avg', bad);
    expect(() => o.loadState({ step: 1, tensors: wrong })).toThrow(OptimizerStateError);
    expect(() => o.loadState({ step: -1, tensors: state.tensors })).toThrow(/step/);
    const g = tf.zeros([3]);
    expect(() => o.update(new Map([['nope', g]]))).toThrow(/no parameter "nope"/);
    o.dispose();
    expect(() => o.state()).toThrow(/disposed/);
    tf.dispose([bad, g, ...params.values()]);
  });

  it('Adafactor step 1 by hand on a vector: the update is sign(g) (β₂ = 0), scaled as configured', () => {
    const run = (config: OptimizerConfig) => {
      const p = tf.variable(tf.tensor([1, -2]), false);
      const o = createOptimizer(config, new Map([['p', p]]));
      const g = tf.tensor([0.5, -4]);
      o.update(new Map([['p', g]]));
      const out = Array.from(p.dataSync());
      o.dispose();
      tf.dispose([p, g]);
      return out;
    };
    const rmsP = Math.sqrt(2.5);
    const close = (got: number[], want: number[]) =>
      got.forEach((x, i) => expect(x).toBeCloseTo(want[i]!, 6));
    close(run({ name: 'adafactor', learningRate: 0.1 }), [0.9, -1.9]);
    close(run({ name: 'adafactor', learningRate: 0.1, scaleParameter: true }), [
      1 - 0.1 * rmsP,
      -2 + 0.1 * rmsP,
    ]);
    close(run({ name: 'adafactor', relativeStep: true }), [0.99, -1.99]);
    close(run({ name: 'adafactor', learningRate: 0.1, weightDecay: 0.5 }), [1 - 0.05 - 0.1, -2 + 0.1 + 0.1]);
    close(run({ name: 'adafactor-t5x', learningRate: 0.1 }), [1 - 0.1 * rmsP, -2 + 0.1 * rmsP]);
    close(run({ name: 'adafactor-t5x', learningRate: 0.1, multiplyByParameterScale: false }), [0.9, -1.9]);
  });

  it('AdamW step 1 by hand: p·(1 − lr·wd) − lr·g/(|g| + eps)', () => {
    const p = tf.variable(tf.tensor([1, -2]), false);
    const o = createOptimizer({ name: 'adamw', learningRate: 0.1, weightDecay: 0.5 }, new Map([['p', p]]));
    const g = tf.tensor([0.5, -4]);
    o.update(new Map([['p', g]]));
    const got = p.dataSync();
    expect(got[0]).toBeCloseTo(1 * 0.95 - 0.1, 6);
    expect(got[1]).toBeCloseTo(-2 * 0.95 + 0.1, 6);
    o.dispose();
    tf.dispose([p, g]);
  });
});
