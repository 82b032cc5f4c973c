/**
 * t5x's Adafactor (google-research/t5x `t5x/adafactor.py`, `Adafactor.apply_param_gradient`), the
 * optimizer T5 and Flan-T5 were finetuned with, reproduced per parameter with t5x step i = 0, 1, …:
 *
 * - `decay = 1 − (i − stepOffset + 1)^−decayRate`, evaluated in float32 as `_decay_rate_pow` does;
 *   `mixing = 1 − decay`;
 * - `updateScale = learningRate · max(RMS(p), epsilon2)` with `multiplyByParameterScale` (else `learningRate`);
 * - `grad_sqr = g² + epsilon1`; the moment is factored only if rank ≥ 2 and the second-largest dim is
 *   ≥ `minDimSizeToFactor` (`_factored_dims`): with `d1`, `d0` the two largest dims (argsort order),
 *   `v_row ← decay·v_row + mixing·mean(grad_sqr, d0)`, `v_col ← decay·v_col + mixing·mean(grad_sqr, d1)`,
 *   `y = g · (v_row/mean(v_row))^−½ (at d0) · v_col^−½ (at d1)`; else `v ← decay·v + mixing·grad_sqr`, `y = g·v^−½`;
 * - `y /= max(1, RMS(y) / clippingThreshold)`; `p ← p − updateScale·y`.
 *
 * Not supported (t5x finetuning leaves them unset): `beta1`, `weight_decay_rate`, `max_parameter_scale`,
 * `factor_map` / logical factor rules (rank ≤ 2 parameters use the heuristic rule anyway).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import { rms } from './reduce';
import { StateSlots, checkNumber, parameterFor } from './state';
import type { Optimizer, OptimizerState, UpdateOptions } from './types';

/** `{ name: 'adafactor-t5x', … }`: t5x Adafactor (defaults as t5x's `Adafactor.__init__`). */
export interface AdafactorT5xConfig {
  name: 'adafactor-t5x';
  learningRate: number;
  /** Exponent of the second-moment decay (default 0.8). */
  decayRate?: number;
  /** Per-tensor update RMS clip (default 1.0). */
  clippingThreshold?: number;
  /** Scale updates by the parameter RMS, floored at `epsilon2` (default true). */
  multiplyByParameterScale?: boolean;
  /** Factor a moment only when the second-largest dim is at least this (default 128). */
  minDimSizeToFactor?: number;
  /** Added to g² (default 1e-30). */
  epsilon1?: number;
  /** Floor of the parameter scale (default 1e-3). */
  epsilon2?: number;
  /** Steps subtracted before the decay schedule (default 0). */
  stepOffset?: number;
  /** Factored second moments at all (default true). */
  factored?: boolean;
}

export type ResolvedAdafactorT5xConfig = Required<AdafactorT5xConfig>;

export function resolveAdafactorT5xConfig(config: AdafactorT5xConfig): ResolvedAdafactorT5xConfig {
  const n = 'adafactor-t5x';
  if (config.learningRate === undefined) throw new RangeError(`${n}: learningRate is required`);
  const minDim = config.minDimSizeToFactor ?? 128;
  if (!Number.isInteger(minDim) || minDim < 0)
    throw new RangeError(`${n}: minDimSizeToFactor must be an integer ≥ 0, got ${minDim}`);
  const stepOffset = config.stepOffset ?? 0;
  if (!Number.isInteger(stepOffset) || stepOffset < 0)
    throw new RangeError(`${n}: stepOffset must be an integer ≥ 0, got ${stepOffset}`);
  return {
    name: 'adafactor-t5x',
    learningRate: checkNumber(n, 'learningRate', config.learningRate),
    decayRate: checkNumber(n, 'decayRate', config.decayRate ?? 0.8),
    clippingThreshold: checkNumber(n, 'clippingThreshold', config.clippingThreshold ?? 1, 0, false),
    multiplyByParameterScale: config.multiplyByParameterScale ?? true,
    minDimSizeToFactor: minDim,
    epsilon1: checkNumber(n, 'epsilon1', config.epsilon1 ?? 1e-30),
    epsilon2: checkNumber(n, 'epsilon2', config.epsilon2 ?? 1e-3),
    stepOffset,
    factored: config.factored ?? true,
  };
}

/**
 * t5x's `_decay_rate_pow(i − stepOffset, exponent)` in float32: `1 − (i + 1)^−exponent` with every
 * operation rounded to float32 (the reference's decay values are float32). The negative power is
 * taken as `1 / t^exponent`: that reproduces all ten recorded values bit for bit, while a correctly
 * rounded `t^−exponent` is one float32 ulp off at one of them (XLA's float32 pow rounds that way).
 */
export function t5xDecayRate(step: number, exponent: number, stepOffset = 0): number {
  const f = Math.fround;
  const t = f(f(step - stepOffset) + 1);
  return f(1 - f(1 / f(Math.pow(t, f(exponent)))));
}

/**
 * `_factored_dims`: `[d1, d0]` (second-largest and largest dim, in stable argsort order) when the
 * moment is factored, else undefined.
 */
export function t5xFactoredDims(
  shape: readonly number[],
  minDimSizeToFactor: number,
  factored = true,
): [number, number] | undefined {
  if (!factored || shape.length < 2) return undefined;
  const sorted = shape.map((_, i) => i).sort((a, b) => shape[a]! - shape[b]! || a - b);
  const d1 = sorted[sorted.length - 2]!;
  const d0 = sorted[sorted.length - 1]!;
  if (shape[d1]! < minDimSizeToFactor) return undefined;
  return [d1, d0];
}

export class AdafactorT5x implements Optimizer {
  readonly config: ResolvedAdafactorT5xConfig;
  private readonly slots = new StateSlots();
  private readonly dims = new Map<string, [number, number]>();

  /** @param params the variables this optimizer updates, by HF name (state is made for each now). */
  constructor(
    config: AdafactorT5xConfig,
    private readonly params: ReadonlyMap<string, Variable>,
  ) {
    this.config = resolveAdafactorT5xConfig(config);
    for (const [name, p] of params) {
      const shape = p.shape;
      const dims = t5xFactoredDims(shape, this.config.minDimSizeToFactor, this.config.factored);
      if (dims === undefined) {
        this.slots.add(name, 'v', shape);
      } else {
        const [d1, d0] = dims;
        this.dims.set(name, dims);
        this.slots.add(
          name,
          'v_row',
          shape.filter((_, i) => i !== d0),
        );
        this.slots.add(
          name,
          'v_col',
          shape.filter((_, i) => i !== d1),
        );
      }
    }
  }

  get learningRate(): number {
    return this.config.learningRate;
  }

  get stepCount(): number {
    return this.slots.step;
  }

  /** The parameters with a factored second moment, with their `[d1, d0]`. */
  factoredParameters(): ReadonlyMap<string, readonly [number, number]> {
    return this.dims;
  }

  update(grads: ReadonlyMap<string, Tensor>, options: UpdateOptions = {}): void {
    this.slots.assertAlive();
    const c = this.config;
    const decay = t5xDecayRate(this.slots.step, c.decayRate, c.stepOffset);
    const mixing = Math.fround(1 - decay);
    const lr = options.learningRate ?? c.learningRate;
    const scale = options.gradScale ?? 1;
    for (const [name, grad] of grads) {
      const p = parameterFor(this.params, name, grad, 'adafactor-t5x');
      tf.tidy(() => this.updateOne(name, p, grad, { decay, mixing, lr, scale }));
    }
    this.slots.step += 1;
  }

  private updateOne(
    name: string,
    p: Variable,
    grad: Tensor,
    s: { decay: number; mixing: number; lr: number; scale: number },
  ): void {
    const c = this.config;
    const g = s.scale === 1 ? grad : tf.mul(grad, s.scale);
    // The parameter scale uses the value before this update.
    const updateScale: Tensor | number = c.multiplyByParameterScale
      ? tf.mul(tf.maximum(rms(p), c.epsilon2), s.lr)
      : s.lr;
    const gradSqr = tf.add(tf.square(g), c.epsilon1);
    let y: Tensor;
    const dims = this.dims.get(name);
    if (dims !== undefined) {
      const [d1, d0] = dims;
      const vRow = this.slots.get(name, 'v_row');
      const vCol = this.slots.get(name, 'v_col');
      vRow.assign(tf.add(tf.mul(vRow, s.decay), tf.mul(tf.mean(gradSqr, d0), s.mixing)));
      vCol.assign(tf.add(tf.mul(vCol, s.decay), tf.mul(tf.mean(gradSqr, d1), s.mixing)));
      // v_row lacks d0, so d1's axis shifts down by one when it came after d0.
      const reducedD1 = d1 > d0 ? d1 - 1 : d1;
      const rowFactor = tf.rsqrt(tf.div(vRow, tf.mean(vRow, reducedD1, true)));
      const colFactor = tf.rsqrt(vCol);
      y = tf.mul(tf.mul(g, tf.expandDims(rowFactor, d0)), tf.expandDims(colFactor, d1));
    } else {
      const v = this.slots.get(name, 'v');
      v.assign(tf.add(tf.mul(v, s.decay), tf.mul(gradSqr, s.mixing)));
      y = tf.mul(g, tf.rsqrt(v));
    }
    // The RMS clip and the update scale fold into one scalar: one pass over the tensor instead of two.
    const clipped = tf.div(updateScale, tf.maximum(tf.div(rms(y), c.clippingThreshold), 1));
    p.assign(tf.sub(p, tf.mul(y, clipped)));
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
