/**
 * torch's AdamW (torch 1.13 `torch.optim.AdamW`, single-tensor path), decoupled weight decay:
 * `p *= 1 − lr·wd`; `m ← β₁m + (1−β₁)g`; `v ← β₂v + (1−β₂)g²`;
 * `p −= lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + eps)`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import { StateSlots, checkNumber, parameterFor } from './state';
import type { Optimizer, OptimizerState, UpdateOptions } from './types';

/** `{ name: 'adamw', … }`: torch AdamW (defaults as torch's). */
export interface AdamWConfig {
  name: 'adamw';
  /** Default 1e-3. */
  learningRate?: number;
  /** `[β₁, β₂]` (default `[0.9, 0.999]`). */
  betas?: readonly [number, number];
  /** Default 1e-8. */
  eps?: number;
  /** Decoupled weight decay (default 0.01, torch's AdamW default). */
  weightDecay?: number;
}

export type ResolvedAdamWConfig = Required<AdamWConfig>;

export function resolveAdamWConfig(config: AdamWConfig): ResolvedAdamWConfig {
  const n = 'adamw';
  const betas = config.betas ?? [0.9, 0.999];
  for (const [i, b] of betas.entries()) {
    if (!(b >= 0 && b < 1)) throw new RangeError(`${n}: betas[${i}] must be in [0, 1), got ${b}`);
  }
  return {
    name: 'adamw',
    learningRate: checkNumber(n, 'learningRate', config.learningRate ?? 1e-3),
    betas: [betas[0], betas[1]],
    eps: checkNumber(n, 'eps', config.eps ?? 1e-8),
    weightDecay: checkNumber(n, 'weightDecay', config.weightDecay ?? 0.01),
  };
}

export class AdamW implements Optimizer {
  readonly config: ResolvedAdamWConfig;
  private readonly slots = new StateSlots();

  /** @param params the variables this optimizer updates, by HF name (state is made for each now). */
  constructor(
    config: AdamWConfig,
    private readonly params: ReadonlyMap<string, Variable>,
  ) {
    this.config = resolveAdamWConfig(config);
    for (const [name, p] of params) {
      this.slots.add(name, 'exp_avg', p.shape);
      this.slots.add(name, 'exp_avg_sq', p.shape);
    }
  }

  get learningRate(): number {
    return this.config.learningRate;
  }

  get stepCount(): number {
    return this.slots.step;
  }

  update(grads: ReadonlyMap<string, Tensor>, options: UpdateOptions = {}): void {
    this.slots.assertAlive();
    const [b1, b2] = this.config.betas;
    const t = this.slots.step + 1;
    const lr = options.learningRate ?? this.config.learningRate;
    const s = {
      lr,
      decay: 1 - lr * this.config.weightDecay,
      stepSize: lr / (1 - Math.pow(b1, t)),
      bc2Sqrt: Math.sqrt(1 - Math.pow(b2, t)),
      scale: options.gradScale ?? 1,
    };
    for (const [name, grad] of grads) {
      const p = parameterFor(this.params, name, grad, 'adamw');
      tf.tidy(() => {
        const g = s.scale === 1 ? grad : tf.mul(grad, s.scale);
        const m = this.slots.get(name, 'exp_avg');
        const v = this.slots.get(name, 'exp_avg_sq');
        const decayed = s.decay === 1 ? p : tf.mul(p, s.decay);
        m.assign(tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)));
        v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2)));
        // torch's m/(√v/√bc₂ + eps)·stepSize, with √bc₂ moved into the scalars (one pass fewer).
        const denom = tf.add(tf.sqrt(v), this.config.eps * s.bc2Sqrt);
        p.assign(tf.sub(decayed, tf.mul(tf.div(m, denom), s.stepSize * s.bc2Sqrt)));
      });
    }
    this.slots.step = t;
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
