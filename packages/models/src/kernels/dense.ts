/**
 * A projection with an optional bias (`nn.Linear(bias=True)`: Qwen2's q/k/v, Llama's
 * `attention_bias` / `mlp_bias`), and its gradients. The adapter, if any, lives on the projection.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import type { DropoutSpec } from './dropout';
import { project, projectGrads, type Projection } from './projection';

export interface Dense {
  p: Projection;
  bias?: Tensor1D;
}

/** `x·Wᵀ (+ adapter) (+ bias)`; `drop` is the adapter's input dropout ({@link loraDropout}). */
export function dense(x: Tensor2D, d: Dense, drop?: DropoutSpec): Tensor2D {
  if (d.bias === undefined) return project(x, d.p, drop);
  return tf.tidy(() => tf.add(project(x, d.p, drop), d.bias!) as Tensor2D);
}

/** Names a dense layer's differentiable tensors have inside an op: `q`, `q.bias`, `q.lora_a`, `q.lora_b`. */
export type DenseInputName<P extends string> = P | `${P}.bias` | `${P}.lora_${'a' | 'b'}`;

/** Adds `name`'s weight, bias and adapter tensors to an op's keyed inputs. */
export function denseInputs<P extends string>(
  name: P,
  d: Dense,
  inputs: Partial<Record<DenseInputName<P>, Tensor>>,
): void {
  inputs[name] = d.p.w;
  inputs[`${name}.bias`] = d.bias;
  inputs[`${name}.lora_a`] = d.p.lora?.a;
  inputs[`${name}.lora_b`] = d.p.lora?.b;
}

/**
 * Gradients of {@link dense} given `dy` (and the forward's `drop`, whose mask is drawn again from its
 * seed); writes the wanted weight, bias and adapter gradients into `out` under {@link DenseInputName}s
 * and returns `dx`.
 */
export function denseGrads<P extends string>(
  name: P,
  dy: Tensor2D,
  x: Tensor2D,
  d: Dense,
  wanted: ReadonlySet<string>,
  out: Partial<Record<DenseInputName<P>, Tensor>>,
  drop?: DropoutSpec,
): Tensor2D {
  const g = projectGrads(dy, x, d.p, wanted.has(name), drop);
  if (g.dw !== undefined) out[name] = g.dw;
  if (g.da !== undefined) out[`${name}.lora_a`] = g.da;
  if (g.db !== undefined) out[`${name}.lora_b`] = g.db;
  if (d.bias !== undefined && wanted.has(`${name}.bias`)) out[`${name}.bias`] = tf.sum(dy, 0);
  return g.dx;
}
