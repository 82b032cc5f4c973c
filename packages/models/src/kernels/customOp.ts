/**
 * `tf.customGrad` with the inputs as an array. Every differentiable op of the model goes through it,
 * so gradients never depend on tfjs's gradient registry (which plain Node ESM cannot import and whose
 * kernels include the WASM-hostile ones).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';

export interface CustomOpResult {
  value: Tensor;
  /** One gradient per input, in order. Dispose `saved` inside: tfjs keeps them alive otherwise. */
  gradFunc: (dy: Tensor, saved: Tensor[]) => Tensor | Tensor[];
}

export function customOp(
  forward: (inputs: Tensor[], save: tf.GradSaveFunc) => CustomOpResult,
): (...inputs: Tensor[]) => Tensor {
  const f = (...args: (Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    return forward(args.slice(0, -1) as Tensor[], save);
  };
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as (
    ...inputs: Tensor[]
  ) => Tensor;
}

/**
 * The variables the running gradient computation differentiates ({@link differentiating}), kept on
 * `globalThis`: the package's entries are bundled separately, and a model loaded through one may be
 * differentiated through the other.
 */
const TARGETS_KEY = Symbol.for('@flan-ts/models/gradient-targets');

type TargetSlot = Record<symbol, ReadonlySet<Tensor> | undefined>;

/**
 * Runs `body` (a `tf.variableGrads` over `targets`) with every other variable taken as a constant:
 * ops then skip the products of weights nobody asked for (a LoRA step's frozen base weights: their
 * weight gradients are a third of a full step's matmul work).
 */
export function differentiating<T>(targets: readonly tf.Variable[], body: () => T): T {
  const slot = globalThis as unknown as TargetSlot;
  const outer = slot[TARGETS_KEY];
  slot[TARGETS_KEY] = new Set(targets);
  try {
    return body();
  } finally {
    slot[TARGETS_KEY] = outer;
  }
}

/**
 * Whether an op input takes a gradient: any tensor but a `tf.Variable` marked `trainable = false` or,
 * inside {@link differentiating}, one that is not among its targets.
 */
export function needsGradient(t: Tensor): boolean {
  if (!(t instanceof tf.Variable)) return true;
  if (!t.trainable) return false;
  const targets = (globalThis as unknown as TargetSlot)[TARGETS_KEY];
  return targets === undefined || targets.has(t);
}

/**
 * A differentiable op whose inputs and gradients are keyed by name (tfjs's `GradConfig` style), not
 * by position. Inputs that are undefined, or variables that take no gradient ({@link needsGradient}:
 * frozen ones, or a LoRA step's base weights), are not inputs of the op: they get no gradient, and
 * `gradFunc` is told which names it must return so it can skip the products of those weights.
 */
export function keyedOp<K extends string>(
  inputs: Partial<Record<K, Tensor>>,
  forward: (save: tf.GradSaveFunc) => {
    value: Tensor;
    /** The gradient of every name in `wanted`. Dispose `saved` inside. */
    gradFunc: (dy: Tensor, saved: Tensor[], wanted: ReadonlySet<K>) => Partial<Record<K, Tensor>>;
  },
): Tensor {
  const names = (Object.keys(inputs) as K[]).filter((k) => {
    const t = inputs[k];
    return t !== undefined && needsGradient(t);
  });
  const wanted = new Set(names);
  const op = customOp((_, save) => {
    const { value, gradFunc } = forward(save);
    return {
      value,
      gradFunc: (dy, saved) => {
        const grads = gradFunc(dy, saved, wanted);
        return names.map((k) => {
          const g = grads[k];
          if (g === undefined) throw new Error(`keyedOp: no gradient for input ${k}`);
          return g;
        });
      },
    };
  });
  return op(...names.map((k) => inputs[k]!));
}
