/**
 * T5 feed-forward sublayers, `x + FFN(RMSNorm(x))`, as single differentiable ops with recomputation
 * (see attention.ts). FFN is `wo(act(wi·x))` (T5 v1.0) or `wo(act(wi_0·x) · wi_1·x)` (gated, v1.1).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import type { T5Activation } from '../t5/config';
import { gatedActivation, gatedActivationGrads } from './activations';
import { keyedOp } from './customOp';
import { applyDropout, type DropoutSpec } from './dropout';
import { loraDropout, project, projectGrads, type Projection } from './projection';
import { rmsNormForward, rmsNormGrads } from './rmsNorm';

/** `wi` for the plain FFN, `wi0`/`wi1` for the gated one. */
export interface FeedForwardWeights {
  norm: Tensor1D;
  wi?: Projection;
  wi0?: Projection;
  wi1?: Projection;
  wo: Projection;
}

type ProjectionName = 'wi' | 'wi0' | 'wi1' | 'wo';
type InputName = 'x' | 'norm' | ProjectionName | `${ProjectionName}.lora_${'a' | 'b'}`;

/** The input projections by name: `wi`, or `wi0` and `wi1` (gated). */
function inputProjections(w: FeedForwardWeights): ('wi' | 'wi0' | 'wi1')[] {
  if (w.wi0 !== undefined && w.wi1 !== undefined) return ['wi0', 'wi1'];
  if (w.wi !== undefined) return ['wi'];
  throw new Error('feed-forward weights need wi, or wi_0 and wi_1');
}

function forwardWithActivations(
  x: Tensor2D,
  w: FeedForwardWeights,
  activation: T5Activation,
  eps: number,
  drop: DropoutSpec | undefined,
) {
  const { y: n, r } = rmsNormForward(x, w.norm, eps);
  const [a, b] = inputProjections(w);
  const h0 = project(n, w[a!]!, loraDropout(w[a!]!, drop, a!));
  const h1 = b !== undefined ? project(n, w[b]!, loraDropout(w[b]!, drop, b)) : undefined;
  const m = gatedActivation(h0, h1, activation) as Tensor2D;
  const md = applyDropout(m, drop, 0);
  const y = tf.add(x, applyDropout(project(md, w.wo, loraDropout(w.wo, drop, 'wo')), drop, 1)) as Tensor2D;
  return { n, r, h0, h1, md, y };
}

export function feedForwardSublayerForward(
  x: Tensor2D,
  w: FeedForwardWeights,
  activation: T5Activation,
  eps: number,
  drop?: DropoutSpec,
): Tensor2D {
  return tf.tidy(() => forwardWithActivations(x, w, activation, eps, drop).y);
}

/**
 * `x + FFN(RMSNorm(x))` for `x` `[tokens, d]`, differentiable with respect to `x` and the weights.
 * With `recompute` only `x` is kept and the gradient reruns the sublayer; otherwise the normed input,
 * the pre-activations and the (dropped) hidden state are kept.
 */
export function feedForwardSublayer(
  x: Tensor2D,
  w: FeedForwardWeights,
  activation: T5Activation,
  eps: number,
  drop?: DropoutSpec,
  recompute = false,
): Tensor2D {
  const gated = w.wi0 !== undefined;
  const names: ProjectionName[] = [...inputProjections(w), 'wo'];
  const inputs: Partial<Record<InputName, Tensor>> = { x, norm: w.norm };
  for (const name of names) {
    inputs[name] = w[name]!.w;
    inputs[`${name}.lora_a`] = w[name]!.lora?.a;
    inputs[`${name}.lora_b`] = w[name]!.lora?.b;
  }
  return keyedOp(inputs, (save) => {
    let value: Tensor2D;
    if (recompute) {
      value = feedForwardSublayerForward(x, w, activation, eps, drop);
      save([x]);
    } else {
      const f = tf.tidy(() => {
        const all = forwardWithActivations(x, w, activation, eps, drop);
        return { y: all.y, acts: [all.n, all.r, all.h0, ...(all.h1 ? [all.h1] : []), all.md] };
      });
      value = f.y;
      save([x, ...f.acts]);
      tf.dispose(f.acts);
    }
    return {
      value,
      gradFunc: (dy, saved, wanted) => {
        const xs = saved[0] as Tensor2D;
        const grads = tf.tidy(() => {
          let n: Tensor2D, r: Tensor2D, h0: Tensor2D, md: Tensor2D, h1: Tensor2D | undefined;
          if (recompute) {
            ({ n, r, h0, md, h1 } = forwardWithActivations(xs, w, activation, eps, drop));
          } else {
            [, n, r, h0] = saved as [Tensor2D, Tensor2D, Tensor2D, Tensor2D];
            h1 = gated ? (saved[4] as Tensor2D) : undefined;
            md = saved[gated ? 5 : 4] as Tensor2D;
          }
          const out: Partial<Record<InputName, Tensor>> = {};
          const grads = (name: ProjectionName, d: Tensor2D, input: Tensor2D): Tensor2D => {
            const g = projectGrads(d, input, w[name]!, wanted.has(name), loraDropout(w[name]!, drop, name));
            if (g.dw !== undefined) out[name] = g.dw;
            if (g.da !== undefined) out[`${name}.lora_a`] = g.da;
            if (g.db !== undefined) out[`${name}.lora_b`] = g.db;
            return g.dx;
          };
          const [a, b] = inputProjections(w);
          const dm = applyDropout(grads('wo', applyDropout(dy as Tensor2D, drop, 1), md), drop, 0);
          const { dh0, dh1 } = gatedActivationGrads(h0, h1, dm, activation);
          let dn = grads(a!, dh0 as Tensor2D, n);
          if (b !== undefined && dh1 !== undefined) dn = tf.add(dn, grads(b, dh1 as Tensor2D, n)) as Tensor2D;
          const gNorm = rmsNormGrads(dn, xs, w.norm, r);
          out.x = tf.add(dy, gNorm.dx);
          out.norm = gNorm.dw;
          return out as tf.NamedTensorMap;
        });
        for (const s2 of saved) s2.dispose();
        return grads;
      },
    };
  }) as Tensor2D;
}
