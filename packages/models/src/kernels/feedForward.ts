/**
 * T5 feed-forward sublayers, `x + FFN(RMSNorm(x))`, as single differentiable ops with recomputation
 * (see attention.ts). FFN is `wo(act(wi·x))` (T5 v1.0) or `wo(act(wi_0·x) · wi_1·x)` (gated, v1.1).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import type { T5Activation } from '../t5/config';
import { activate, activationDerivative } from './activations';
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
  const a = activate(h0, activation);
  const h1 = wB !== undefined ? linear(n, wB) : undefined;
  const m = (h1 !== undefined ? tf.mul(a, h1) : a) as Tensor2D;
  const md = applyDropout(m, drop, 0);
  const y = tf.add(x, applyDropout(linear(md, w.wo), drop, 1)) as Tensor2D;
  return { n, r, h0, a, h1, md, y };
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

/** `x + FFN(RMSNorm(x))` for `x` `[tokens, d]`, differentiable with respect to `x` and the weights. */
export function feedForwardSublayer(
  x: Tensor2D,
  w: FeedForwardWeights,
  activation: T5Activation,
  eps: number,
  drop?: DropoutSpec,
): Tensor2D {
  const gated = w.wi0 !== undefined;
  const op = customOp((args, save) => {
    const xIn = args[0] as Tensor2D;
    save([xIn]);
    return {
      value: feedForwardSublayerForward(xIn, w, activation, eps, drop),
      gradFunc: (dy, saved) => {
        const [xs] = saved as [Tensor2D];
        const grads = tf.tidy(() => {
          const f = forwardWithActivations(xs, w, activation, eps, drop);
          const [wA, wB] = inputWeights(w);
          const gO = linearGrads(applyDropout(dy as Tensor2D, drop, 1), f.md, w.wo);
          const dm = applyDropout(gO.dx, drop, 0);
          const da = f.h1 !== undefined ? tf.mul(dm, f.h1) : dm;
          const dh0 = tf.mul(da, activationDerivative(f.h0, activation)) as Tensor2D;
          const gA = linearGrads(dh0, f.n, wA!);
          let dn = gA.dx;
          const out: Tensor[] = [];
          if (wB !== undefined) {
            const gB = linearGrads(tf.mul(dm, f.a) as Tensor2D, f.n, wB);
            dn = tf.add(dn, gB.dx) as Tensor2D;
            const gNorm = rmsNormGrads(dn, xs, w.norm, f.r);
            out.push(tf.add(dy, gNorm.dx), gNorm.dw, gA.dw, gB.dw, gO.dw);
          } else {
            const gNorm = rmsNormGrads(dn, xs, w.norm, f.r);
            out.push(tf.add(dy, gNorm.dx), gNorm.dw, gA.dw, gO.dw);
          }
          return out;
        });
        xs.dispose();
        return grads;
      },
    };
  });
  const args: Tensor[] = gated ? [x, w.norm, w.wi0!, w.wi1!, w.wo] : [x, w.norm, w.wi!, w.wo];
  return op(...args) as Tensor2D;
}
