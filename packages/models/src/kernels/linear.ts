/**
 * Dense layers as 2-D matmuls. Weights stay in Hugging Face layout `[out, in]` (that is what
 * training updates and checkpoints store), but `x · Wᵀ` with tfjs's `transposeB` flag is ~10x slower
 * on WASM than a plain matmul, so the forward multiplies by a cached `[in, out]` copy. The cache is
 * keyed by the weight's data id, which changes on every `Variable.assign`, so updates invalidate it.
 * Where our wasm GEMM runs the product (64+ rows: encoding, training), it reads `w` transposed in
 * place, so a training step does not re-transpose every updated weight; few-row products (decoding)
 * keep the cached copy, on which XNNPACK reuses its packed weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor2D } from '@tensorflow/tfjs-core';
import { keyedOp } from './customOp';
import { MIN_GEMM_ROWS, gemmInstalled } from './wasm/gemm';

/** Whether products with tfjs's transpose flags are as fast as plain ones (our wasm GEMM runs them). */
function fastTransposedMatMul(): boolean {
  return tf.getBackend() === 'wasm' && gemmInstalled();
}

/**
 * Whether products of many rows (training steps) multiply by the cached `[in, out]` copies: everywhere
 * but wasm with our GEMM, which reads the weights transposed in place.
 */
export function denseProductsUseTransposedCopies(): boolean {
  return !fastTransposedMatMul();
}

interface CachedTranspose {
  dataId: object;
  value: Tensor2D;
}

const transposes = new WeakMap<Tensor, CachedTranspose>();

/** `w` `[out, in]` as `[in, out]`, computed once per value of `w`. */
export function transposedWeight(w: Tensor2D): Tensor2D {
  const cached = transposes.get(w);
  if (cached !== undefined && cached.dataId === w.dataId && !cached.value.isDisposed) return cached.value;
  cached?.value.dispose();
  const value = tf.keep(tf.transpose(w));
  transposes.set(w, { dataId: w.dataId, value });
  return value;
}

/** Frees the cached transpose of `w` (when `w` itself is disposed). */
export function releaseTransposedWeight(w: Tensor): void {
  transposes.get(w)?.value.dispose();
  transposes.delete(w);
}

/** `x · wᵀ · scale` for `x` `[n, in]`, `w` `[out, in]`. */
export function linear(x: Tensor2D, w: Tensor2D, scale = 1): Tensor2D {
  const y = (
    fastTransposedMatMul() && x.shape[0] >= MIN_GEMM_ROWS
      ? tf.matMul(x, w, false, true)
      : tf.matMul(x, transposedWeight(w))
  ) as Tensor2D;
  if (scale === 1) return y;
  return tf.tidy(() => tf.mul(y, tf.scalar(scale)) as Tensor2D);
}

/**
 * Gradients of `y = x · wᵀ · scale` given `dy` `[n, out]`: `dx = dy · w`, `dw = dyᵀ · x`. Where
 * `transposeA` is slow (tfjs's own wasm kernel), `dyᵀ` is materialized and both are plain matmuls.
 */
export function linearGrads(
  dy: Tensor2D,
  x: Tensor2D,
  w: Tensor2D,
  scale = 1,
): { dx: Tensor2D; dw: Tensor2D } {
  return tf.tidy(() => {
    const g = scale === 1 ? dy : tf.mul(dy, tf.scalar(scale));
    const dw = (
      fastTransposedMatMul() ? tf.matMul(g, x, true, false) : tf.matMul(tf.transpose(g), x)
    ) as Tensor2D;
    return { dx: tf.matMul(g, w), dw };
  });
}

/**
 * `linear` as a differentiable op (used for the LM head); the weight's gradient product is skipped when
 * the weight takes none (a LoRA step's frozen head, see `needsGradient`).
 */
export function linearOp(x: Tensor2D, w: Tensor2D, scale = 1): Tensor2D {
  return keyedOp({ x, w }, (save) => {
    save([x]);
    return {
      value: linear(x, w, scale),
      gradFunc: (dy, saved, wanted) => {
        const [xs] = saved as [Tensor2D];
        const g = dy as Tensor2D;
        if (wanted.has('w')) {
          const { dx, dw } = linearGrads(g, xs, w, scale);
          xs.dispose();
          return { x: dx, w: dw };
        }
        xs.dispose();
        // The same dx as `linearGrads` computes.
        return { x: tf.tidy(() => tf.matMul(scale === 1 ? g : tf.mul(g, tf.scalar(scale)), w)) as Tensor2D };
      },
    };
  }) as Tensor2D;
}
