/**
 * Attention's softmax over the last axis of `scores + bias + mask`, and its gradient. On wasm each is one
 * fused pass per row (instead of add, add, max, sub, exp, sum, div); elsewhere, and for shapes the
 * fused kernel does not take, the composite tfjs ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { FUSED_KERNELS, fusable } from './wasm/fused';

/** A rank-4 operand whose leading axes are 1 or equal to `scores`' and whose last axis matches. */
function broadcastsOver(t: Tensor | undefined, scores: Tensor): boolean {
  if (t === undefined) return true;
  if (t.rank !== 4 || t.shape[3] !== scores.shape[3]) return false;
  return [0, 1, 2].every((i) => t.shape[i] === 1 || t.shape[i] === scores.shape[i]);
}

/**
 * `softmax(scores + bias + mask)` over the last axis, for `scores` `[b, h, q, k]`, `bias` e.g.
 * `[1, h, q, k]` and an additive `mask` e.g. `[b, 1, 1, k]` or `[b, 1, q, k]` (both optional, broadcast
 * over `scores`).
 */
export function maskedSoftmax(scores: Tensor, bias?: Tensor, mask?: Tensor): Tensor {
  const extra = [...(bias ? [bias] : []), ...(mask ? [mask] : [])];
  if (
    scores.rank === 4 &&
    fusable(FUSED_KERNELS.maskedSoftmax, scores, ...extra) &&
    broadcastsOver(bias, scores) &&
    broadcastsOver(mask, scores)
  ) {
    const inputs: tf.NamedTensorMap = { scores };
    if (bias !== undefined) inputs.bias = bias;
    if (mask !== undefined) inputs.mask = mask;
    return tf.engine().runKernel(FUSED_KERNELS.maskedSoftmax, inputs) as Tensor;
  }
  return tf.tidy(() => {
    let s = scores;
    if (bias !== undefined) s = tf.add(s, bias);
    if (mask !== undefined) s = tf.add(s, mask);
    return tf.softmax(s);
  });
}

/** Gradient of the softmax with respect to its input: `dS = P·(dP − Σ dP·P)` over the last axis. */
export function softmaxGrad(probs: Tensor, dProbs: Tensor): Tensor {
  if (
    probs.rank >= 1 &&
    fusable(FUSED_KERNELS.softmaxGrad, probs, dProbs) &&
    tf.util.arraysEqual(probs.shape, dProbs.shape)
  ) {
    return tf.engine().runKernel(FUSED_KERNELS.softmaxGrad, { probs, dProbs }) as Tensor;
  }
  return tf.tidy(() => tf.mul(probs, tf.sub(dProbs, tf.sum(tf.mul(dProbs, probs), -1, true))));
}
