/**
 * The state slots of an optimizer: zero-initialised, non-trainable `tf.Variable`s keyed
 * `<parameter>/<slot>`, assigned in place on every update, with checkpoint export and import.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import type { OptimizerState } from './types';

export class OptimizerStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OptimizerStateError';
  }
}

export class StateSlots {
  private readonly slots = new Map<string, Variable>();
  step = 0;
  private disposed = false;

  /** Adds a zero slot. */
  add(parameter: string, slot: string, shape: readonly number[]): Variable {
    const key = `${parameter}/${slot}`;
    if (this.slots.has(key)) throw new OptimizerStateError(`duplicate optimizer state ${key}`);
    const zeros = tf.zeros([...shape]);
    // tf.variable shares the initial tensor's buffer: drop our handle so assign() can free it later.
    const v = tf.variable(zeros, false);
    zeros.dispose();
    this.slots.set(key, v);
    return v;
  }

  get(parameter: string, slot: string): Variable {
    const v = this.slots.get(`${parameter}/${slot}`);
    if (v === undefined) throw new OptimizerStateError(`no optimizer state ${parameter}/${slot}`);
    return v;
  }

  state(): OptimizerState {
    this.assertAlive();
    return { step: this.step, tensors: new Map(this.slots) };
  }

  load(state: OptimizerState): void {
    this.assertAlive();
    if (!Number.isInteger(state.step) || state.step < 0)
      throw new OptimizerStateError(`step must be an integer ≥ 0, got ${state.step}`);
    const missing = [...this.slots.keys()].filter((k) => !state.tensors.has(k));
    const extra = [...state.tensors.keys()].filter((k) => !this.slots.has(k));
    if (missing.length > 0 || extra.length > 0) {
      throw new OptimizerStateError(
        `optimizer state keys differ: missing ${JSON.stringify(missing.slice(0, 5))}` +
          `${missing.length > 5 ? ` (+${missing.length - 5})` : ''}, unexpected ${JSON.stringify(extra.slice(0, 5))}` +
          `${extra.length > 5 ? ` (+${extra.length - 5})` : ''}`,
      );
    }
    for (const [key, v] of this.slots) {
      const t: Tensor = state.tensors.get(key)!;
      if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) {
        throw new OptimizerStateError(
          `optimizer state ${key} has shape [${t.shape.join(', ')}], expected [${v.shape.join(', ')}]`,
        );
      }
    }
    // Copies, so the caller may dispose its tensors and our variables never alias them.
    for (const [key, v] of this.slots) {
      const t = state.tensors.get(key)!;
      tf.tidy(() => v.assign(t.dtype === 'float32' ? tf.clone(t) : tf.cast(t, 'float32')));
    }
    this.step = state.step;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.slots.values()) v.dispose();
    this.slots.clear();
  }

  assertAlive(): void {
    if (this.disposed) throw new OptimizerStateError('the optimizer was disposed');
  }
}

/** Checks a gradient against its parameter and returns the parameter. */
export function parameterFor(
  params: ReadonlyMap<string, Variable>,
  name: string,
  grad: Tensor,
  optimizer: string,
): Variable {
  const p = params.get(name);
  if (p === undefined) throw new OptimizerStateError(`${optimizer}: no parameter ${JSON.stringify(name)}`);
  if (grad.shape.length !== p.shape.length || grad.shape.some((d, i) => d !== p.shape[i])) {
    throw new OptimizerStateError(
      `${optimizer}: gradient of ${name} has shape [${grad.shape.join(', ')}], the parameter [${p.shape.join(', ')}]`,
    );
  }
  return p;
}

/** Validates a positive finite number option. */
export function checkNumber(
  optimizer: string,
  name: string,
  value: number,
  min = 0,
  inclusive = true,
): number {
  if (!(Number.isFinite(value) && (inclusive ? value >= min : value > min))) {
    throw new RangeError(
      `${optimizer}: ${name} must be a finite number ${inclusive ? '≥' : '>'} ${min}, got ${value}`,
    );
  }
  return value;
}
