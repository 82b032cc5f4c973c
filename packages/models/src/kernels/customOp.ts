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
