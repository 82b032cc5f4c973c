/**
 * T5 feed-forward sublayers, `x + FFN(RMSNorm(x))`, as single differentiable ops with recomputation
 * (see attention.ts). FFN is `wo(act(wi·x))` (T5 v1.0) or `wo(act(wi_0·x) · wi_1·x)` (gated, v1.1).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import type { T5Activation } from '../t5/config';
import { gatedActivation, gatedActivationGrads } from './activations';
import { customOp } from './customOp';
import { applyDropout, type DropoutSpec } from './dropout';
import { linear, linearGrads } from './linear';
import { rmsNormForward, rmsNormGrads } from './rmsNorm';

/** `wi` for the plain FFN, `wi0`/`wi1` for the gated one. */
export interface FeedForwardWeights {
  norm: Tensor1D;
  wi?: Tensor2D;
  wi0?: Tensor2D;
  wi1?: Tensor2D;
  wo: Tensor2D;
}

function inputWeights(w: FeedForwardWeights): Tensor2D[] {
  if (w.wi0 !== undefined && w.wi1 !== undefined) return [w.wi0, w.wi1];
  if (w.wi !== undefined) return [w.wi];
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
  const [wA, wB] = inputWeights(w);
  const h0 = linear(n, wA!);
  const h1 = wB !== undefined ? linear(n, wB) : undefined;
  const m = gatedActivation(h0, h1, activation) as Tensor2D;
  const md = applyDropout(m, drop, 0);
  const y = tf.add(x, applyDropout(linear(md, w.wo), drop, 1)) as Tensor2D;
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
  const op = customOp((args, save) => {
    const xIn = args[0] as Tensor2D;
    let value: Tensor2D;
    if (recompute) {
      value = feedForwardSublayerForward(xIn, w, activation, eps, drop);
      save([xIn]);
    } else {
      const f = tf.tidy(() => {
        const all = forwardWithActivations(xIn, w, activation, eps, drop);
        return { y: all.y, acts: [all.n, all.r, all.h0, ...(all.h1 ? [all.h1] : []), all.md] };
      });
      value = f.y;
      save([xIn, ...f.acts]);
      tf.dispose(f.acts);
    }
    return {
      value,
      gradFunc: (dy, saved) => {
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
          const [wA, wB] = inputWeights(w);
          const gO = linearGrads(applyDropout(dy as Tensor2D, drop, 1), md, w.wo);
          const dm = applyDropout(gO.dx, drop, 0);
          const { dh0, dh1 } = gatedActivationGrads(h0, h1, dm, activation);
          const gA = linearGrads(dh0 as Tensor2D, n, wA!);
          if (wB !== undefined && dh1 !== undefined) {
            const gB = linearGrads(dh1 as Tensor2D, n, wB);
            const gNorm = rmsNormGrads(tf.add(gA.dx, gB.dx) as Tensor2D, xs, w.norm, r);
            return [tf.add(dy, gNorm.dx), gNorm.dw, gA.dw, gB.dw, gO.dw];
          }
          const gNorm = rmsNormGrads(gA.dx, xs, w.norm, r);
          return [tf.add(dy, gNorm.dx), gNorm.dw, gA.dw, gO.dw];
        });
        for (const s2 of saved) s2.dispose();
        return grads;
      },
    };
  });
  const args: Tensor[] = gated ? [x, w.norm, w.wi0!, w.wi1!, w.wo] : [x, w.norm, w.wi!, w.wo];
  return op(...args) as Tensor2D;
}
