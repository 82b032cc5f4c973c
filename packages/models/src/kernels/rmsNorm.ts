/**
 * T5's layer norm: RMS norm without mean subtraction or bias, `w · x / sqrt(mean(x²) + eps)`, over
 * the last axis of `[n, d]` rows (HF `T5LayerNorm`: variance in float32, scale applied last).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import { customOp } from './customOp';
import { FUSED_KERNELS, fusable } from './wasm/fused';

/** The normalised rows and the reciprocal RMS `r` `[n, 1]` the gradient needs. */
export function rmsNormForward(x: Tensor2D, w: Tensor1D, eps: number): { y: Tensor2D; r: Tensor2D } {
  if (fusable(FUSED_KERNELS.rmsNorm, x, w) && x.rank === 2 && w.size === x.shape[1]) {
    const [y, r] = tf.engine().runKernel(FUSED_KERNELS.rmsNorm, { x, w }, { eps }) as [Tensor2D, Tensor2D];
    return { y, r };
  }
  return tf.tidy(() => {
    const r = tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), tf.scalar(eps))) as Tensor2D;
    return { y: tf.mul(tf.mul(x, r), w) as Tensor2D, r };
  });
}

export function rmsNorm(x: Tensor2D, w: Tensor1D, eps: number): Tensor2D {
  const { y, r } = rmsNormForward(x, w, eps);
  r.dispose();
  return y;
}

/** `dx = r·g − x·r³·mean(g·x)` with `g = dy·w`; `dw = Σ_rows dy·x·r`. */
export function rmsNormGrads(
  dy: Tensor2D,
  x: Tensor2D,
  w: Tensor1D,
  r: Tensor2D,
): { dx: Tensor2D; dw: Tensor1D } {
  if (
    fusable(FUSED_KERNELS.rmsNormGrad, dy, x, w, r) &&
    x.rank === 2 &&
    dy.size === x.size &&
    w.size === x.shape[1]
  ) {
    const [dx, dw] = tf.engine().runKernel(FUSED_KERNELS.rmsNormGrad, { dy, x, w, r }) as [
      Tensor2D,
      Tensor1D,
    ];
    return { dx, dw };
  }
  return tf.tidy(() => {
    const xr = tf.mul(x, r);
    const g = tf.mul(dy, w);
    const proj = tf.mean(tf.mul(g, xr), -1, true);
    const dx = tf.mul(tf.sub(g, tf.mul(xr, proj)), r) as Tensor2D;
    const dw = tf.sum(tf.mul(dy, xr), 0) as Tensor1D;
    return { dx, dw };
  });
}

/** `rmsNorm` as a differentiable op (the final norm of each stack). */
export function rmsNormOp(x: Tensor2D, w: Tensor1D, eps: number): Tensor2D {
  const op = customOp(([xIn, wIn], save) => {
    save([xIn!]);
    return {
      value: rmsNorm(xIn as Tensor2D, wIn as Tensor1D, eps),
      gradFunc: (dy, saved) => {
        const [xs] = saved as [Tensor2D];
        const grads = tf.tidy(() => {
          const { y, r } = rmsNormForward(xs, wIn as Tensor1D, eps);
          y.dispose();
          const { dx, dw } = rmsNormGrads(dy as Tensor2D, xs, wIn as Tensor1D, r);
          return [dx, dw];
        });
        xs.dispose();
        return grads;
      },
    };
  });
  return op(x, w) as Tensor2D;
}
