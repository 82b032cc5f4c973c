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

/** Whether an op input takes a gradient: any tensor except a `tf.Variable` marked `trainable = false`. */
export function needsGradient(t: Tensor): boolean {
  return !(t instanceof tf.Variable) || t.trainable;
}

/**
 * A differentiable op whose inputs and gradients are keyed by name (tfjs's `GradConfig` style), not
 * by position. Inputs that are undefined, or frozen variables (`trainable = false`, e.g. a LoRA run's
 * base weights), are not inputs of the op: they get no gradient, and `gradFunc` is told which names
 * it must return so it can skip the products of frozen weights.
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
