/**
 * Hugging Face transformers' Adafactor (`transformers.optimization.Adafactor`, commit 005edacb6b5d:
 * `step`, `_get_options`, `_get_lr`, `_rms`, `_approx_sq_grad`), reproduced per parameter:
 *
 * - step t = 1, 2, …; `β₂ₜ = 1 − t^decayRate` (float64, rounded to float32 when applied);
 * - `U2 = g² + eps[0]`; factored iff rank ≥ 2, over the last two dims:
 *   `R ← β₂ₜR + (1−β₂ₜ)·mean(U2, −1)`, `C ← β₂ₜC + (1−β₂ₜ)·mean(U2, −2)`,
 *   `update = rsqrt(R / mean(R))[…, :, None] · rsqrt(C)[…, None, :] · g`; otherwise
 *   `V ← β₂ₜV + (1−β₂ₜ)·U2`, `update = rsqrt(V)·g`;
 * - `update /= max(1, RMS(update) / clipThreshold)`, `update *= lr`;
 * - optional first moment `m ← β₁m + (1−β₁)·update`, `update = m`; decoupled `p −= weightDecay·lr·p`;
 * - `p ← p − update`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import { rms } from './reduce';
import { StateSlots, checkNumber, parameterFor } from './state';
import type { Optimizer, OptimizerState, UpdateOptions } from './types';

/** `{ name: 'adafactor', … }`: Hugging Face Adafactor. */
export interface AdafactorConfig {
  name: 'adafactor';
  /** External learning rate (HF `lr`). Required unless `relativeStep`. */
  learningRate?: number;
  /** `[ε₁, ε₂]`: added to g², and the floor of the parameter RMS (default `[1e-30, 1e-3]`). */
  eps?: readonly [number, number];
  /** Per-tensor update RMS clip (default 1.0). */
  clipThreshold?: number;
  /** Exponent of `β₂ₜ = 1 − t^decayRate` (default −0.8). */
  decayRate?: number;
  /** First-moment coefficient; `null`/undefined = none (default, as HF). */
  beta1?: number | null;
  /** Decoupled weight decay (default 0). */
  weightDecay?: number;
  /**
   * Scale the step by the parameter RMS (HF's default is true; ours is false, the finetuning setting
   * HF documents for T5 and the fixtures' setting, since an external `learningRate` is given).
   */
  scaleParameter?: boolean;
  /** HF's time-dependent step size `min(1e-2, 1/√t)` instead of `learningRate` (default false). */
  relativeStep?: boolean;
  /** With `relativeStep`: `min(1e-6·t, 1/√t)` (default false). */
  warmupInit?: boolean;
}

export type ResolvedAdafactorConfig = Required<Omit<AdafactorConfig, 'beta1'>> & { beta1: number | null };

export function resolveAdafactorConfig(config: AdafactorConfig): ResolvedAdafactorConfig {
  const n = 'adafactor';
  const relativeStep = config.relativeStep ?? false;
  if (config.learningRate === undefined && !relativeStep)
    throw new RangeError(`${n}: learningRate is required unless relativeStep is true`);
  if (config.learningRate !== undefined && relativeStep)
    throw new RangeError(`${n}: learningRate and relativeStep cannot be combined (as in Hugging Face)`);
  const eps = config.eps ?? [1e-30, 1e-3];
  checkNumber(n, 'eps[0]', eps[0]);
  checkNumber(n, 'eps[1]', eps[1]);
  const beta1 = config.beta1 ?? null;
  if (beta1 !== null) checkNumber(n, 'beta1', beta1);
  if (beta1 !== null && beta1 >= 1) throw new RangeError(`${n}: beta1 must be < 1, got ${beta1}`);
  const decayRate = config.decayRate ?? -0.8;
  if (!(Number.isFinite(decayRate) && decayRate < 0))
    throw new RangeError(`${n}: decayRate must be a negative number, got ${decayRate}`);
  return {
    name: 'adafactor',
    learningRate: config.learningRate === undefined ? 0 : checkNumber(n, 'learningRate', config.learningRate),
    eps: [eps[0], eps[1]],
    clipThreshold: checkNumber(n, 'clipThreshold', config.clipThreshold ?? 1, 0, false),
    decayRate,
    beta1,
    weightDecay: checkNumber(n, 'weightDecay', config.weightDecay ?? 0),
    scaleParameter: config.scaleParameter ?? false,
    relativeStep,
    warmupInit: config.warmupInit ?? false,
  };
}

export class Adafactor implements Optimizer {
  readonly config: ResolvedAdafactorConfig;
  private readonly slots = new StateSlots();
  private readonly factored = new Set<string>();

  /** @param params the variables this optimizer updates, by HF name (state is made for each now). */
  constructor(
    config: AdafactorConfig,
    private readonly params: ReadonlyMap<string, Variable>,
  ) {
    this.config = resolveAdafactorConfig(config);
    for (const [name, p] of params) {
      const shape = p.shape;
      if (this.config.beta1 !== null) this.slots.add(name, 'exp_avg', shape);
      if (shape.length >= 2) {
        this.factored.add(name);
        this.slots.add(name, 'exp_avg_sq_row', shape.slice(0, -1));
        this.slots.add(name, 'exp_avg_sq_col', [...shape.slice(0, -2), shape[shape.length - 1]!]);
      } else {
        this.slots.add(name, 'exp_avg_sq', shape);
      }
    }
  }

  get learningRate(): number {
    return this.config.learningRate;
  }

  get stepCount(): number {
    return this.slots.step;
  }

  /** Names of the parameters with a factored second moment (every rank ≥ 2 tensor). */
  factoredParameters(): string[] {
    return [...this.factored];
  }

  update(grads: ReadonlyMap<string, Tensor>, options: UpdateOptions = {}): void {
    this.slots.assertAlive();
    const c = this.config;
    const t = this.slots.step + 1;
    const beta2t = 1 - Math.pow(t, c.decayRate);
    let stepSize = options.learningRate ?? c.learningRate;
    if (c.relativeStep) {
      const minStep = c.warmupInit ? 1e-6 * t : 1e-2;
      stepSize = Math.min(minStep, 1 / Math.sqrt(t));
    }
    const scale = options.gradScale ?? 1;
    for (const [name, grad] of grads) {
      const p = parameterFor(this.params, name, grad, 'adafactor');
      tf.tidy(() => this.updateOne(name, p, grad, { beta2t, stepSize, scale }));
    }
    this.slots.step = t;
  }

  private updateOne(
    name: string,
    p: Variable,
    grad: Tensor,
    s: { beta2t: number; stepSize: number; scale: number },
  ): void {
    const c = this.config;
    const g = s.scale === 1 ? grad : tf.mul(grad, s.scale);
    const u2 = tf.add(tf.square(g), c.eps[0]);
    let update: Tensor;
    if (this.factored.has(name)) {
      const row = this.slots.get(name, 'exp_avg_sq_row');
      const col = this.slots.get(name, 'exp_avg_sq_col');
      row.assign(tf.add(tf.mul(row, s.beta2t), tf.mul(tf.mean(u2, -1), 1 - s.beta2t)));
      col.assign(tf.add(tf.mul(col, s.beta2t), tf.mul(tf.mean(u2, -2), 1 - s.beta2t)));
      // _approx_sq_grad: the rank-1 estimate outer(R, C)/mean(R) of the second moment.
      const rFactor = tf.expandDims(tf.rsqrt(tf.div(row, tf.mean(row, -1, true))), -1);
      const cFactor = tf.expandDims(tf.rsqrt(col), -2);
      update = tf.mul(tf.mul(rFactor, cFactor), g);
    } else {
      const v = this.slots.get(name, 'exp_avg_sq');
      v.assign(tf.add(tf.mul(v, s.beta2t), tf.mul(u2, 1 - s.beta2t)));
      update = tf.mul(tf.rsqrt(v), g);
    }
    // lr = stepSize · param_scale, where param_scale is the parameter RMS before this update.
    const lr: Tensor | number = c.scaleParameter
      ? tf.mul(tf.maximum(rms(p), c.eps[1]), s.stepSize)
      : s.stepSize;
    // The RMS clip and the learning rate fold into one scalar: one pass over the tensor instead of two.
    update = tf.mul(update, tf.div(lr, tf.maximum(tf.div(rms(update), c.clipThreshold), 1)));
    if (c.beta1 !== null) {
      const m = this.slots.get(name, 'exp_avg');
      m.assign(tf.add(tf.mul(m, c.beta1), tf.mul(update, 1 - c.beta1)));
      update = m;
    }
    let next: Tensor = p;
    if (c.weightDecay !== 0) next = tf.sub(next, tf.mul(p, tf.mul(lr, c.weightDecay)));
    p.assign(tf.sub(next, update));
  }

  state(): OptimizerState {
    return this.slots.state();
  }

  loadState(state: OptimizerState): void {
    this.slots.load(state);
  }

  dispose(): void {
    this.slots.dispose();
  }
}
