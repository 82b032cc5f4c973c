/**
 * Gradients of a scalar loss with respect to variables chosen by Hugging Face parameter name: the
 * model's parameters (all, or some) or other variables attached to it (a LoRA adapter's), keyed back
 * by those names. Written once for every architecture's `compute…Gradients`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
import { differentiating } from '../kernels/customOp';

export interface NamedGradientOptions {
  /** Only these parameters (by HF name) get gradients; default all. */
  parameters?: readonly string[];
  /** Differentiate with respect to these variables instead, by name. Overrides `parameters`. */
  variables?: ReadonlyMap<string, Variable>;
}

/** The loss and its gradients by name; frozen variables (`trainable` false) get none. */
export function namedGradients(
  loss: () => Scalar,
  parameters: ReadonlyMap<string, Variable>,
  options: NamedGradientOptions,
  caller: string,
): { loss: Scalar; grads: Map<string, Tensor> } {
  const params = options.variables ?? parameters;
  const names = options.variables ? [...params.keys()] : (options.parameters ?? [...params.keys()]);
  const vars: Variable[] = names.map((name) => {
    const v = params.get(name);
    if (v === undefined) throw new Error(`${caller}: the model has no parameter ${JSON.stringify(name)}`);
    return v;
  });
  // Every other variable is a constant of this computation: ops skip the products of its gradient.
  const { value, grads } = differentiating(vars, () => tf.variableGrads(loss, vars));
  const nameOf = new Map(vars.map((v, i) => [v.name, names[i]!]));
  const byName = new Map<string, Tensor>();
  // Frozen variables (trainable = false) come back as null: they have no gradient.
  for (const [varName, grad] of Object.entries(grads))
    if (grad !== null) byName.set(nameOf.get(varName)!, grad);
  return { loss: value, grads: byName };
}
