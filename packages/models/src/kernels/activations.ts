/** The feed-forward activations of T5 (HF `ACT2FN`) and their derivatives. */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import type { T5Activation } from '../t5/config';
import { FUSED_ACTIVATION_MODES, FUSED_KERNELS, fusable } from './wasm/fused';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_NEW_CUBIC = 0.044715;

export function activate(x: Tensor, activation: T5Activation): Tensor {
  return tf.tidy(() => {
    if (activation === 'relu') return tf.relu(x);
    if (activation === 'gelu') {
      // Exact GELU: 0.5·x·(1 + erf(x/√2)).
      return tf.mul(
        tf.mul(x, tf.scalar(0.5)),
        tf.add(tf.scalar(1), tf.erf(tf.mul(x, tf.scalar(Math.SQRT1_2)))),
      );
    }
    // gelu_new = 0.5·x·(1 + tanh(u)) with u = √(2/π)·(x + 0.044715·x³), written as x·σ(2u): the
    // same function in fewer elementwise ops (each is a pass over a [tokens, d_ff] tensor).
    return tf.mul(x, tf.sigmoid(twiceGeluNewInner(x)));
  });
}

/** `2u = 2√(2/π)·x·(1 + 0.044715·x²)`. */
function twiceGeluNewInner(x: Tensor): Tensor {
  return tf.mul(
    tf.mul(x, tf.add(tf.mul(tf.square(x), tf.scalar(GELU_NEW_CUBIC)), tf.scalar(1))),
    tf.scalar(2 * SQRT_2_OVER_PI),
  );
}

/** d activate(x) / dx. */
export function activationDerivative(x: Tensor, activation: T5Activation): Tensor {
  return tf.tidy(() => {
    if (activation === 'relu') return tf.cast(tf.greater(x, tf.scalar(0)), 'float32');
    if (activation === 'gelu') {
      const cdf = tf.mul(tf.scalar(0.5), tf.add(tf.scalar(1), tf.erf(tf.mul(x, tf.scalar(Math.SQRT1_2)))));
      const pdf = tf.mul(
        tf.exp(tf.mul(tf.square(x), tf.scalar(-0.5))),
        tf.scalar(1 / Math.sqrt(2 * Math.PI)),
      );
      return tf.add(cdf, tf.mul(x, pdf));
    }
    // d/dx x·σ(2u) = σ + x·σ·(1 − σ)·2u', with 2u' = 2√(2/π)·(1 + 3·0.044715·x²).
    const s = tf.sigmoid(twiceGeluNewInner(x));
    const dInner = tf.add(
      tf.mul(tf.square(x), tf.scalar(6 * GELU_NEW_CUBIC * SQRT_2_OVER_PI)),
      tf.scalar(2 * SQRT_2_OVER_PI),
    );
    return tf.add(s, tf.mul(tf.mul(tf.mul(x, s), tf.sub(tf.scalar(1), s)), dInner));
  });
}

/**
 * The FFN hidden state `act(h0)` (T5 v1.0) or `act(h0)·h1` (gated, v1.1): one fused pass on wasm for
 * relu and gelu_new, the composite ops otherwise.
 */
export function gatedActivation(h0: Tensor, h1: Tensor | undefined, activation: T5Activation): Tensor {
  const fused = FUSED_ACTIVATION_MODES[activation] !== undefined;
  if (fused && fusable(FUSED_KERNELS.activation, h0, ...(h1 ? [h1] : [])) && (!h1 || h1.size === h0.size)) {
    return tf
      .engine()
      .runKernel(FUSED_KERNELS.activation, h1 ? { h0, h1 } : { h0 }, { activation }) as Tensor;
  }
  return tf.tidy(() => {
    const a = activate(h0, activation);
    return h1 !== undefined ? tf.mul(a, h1) : a;
  });
}

/**
 * Gradients of `gatedActivation` given `dm`: `dh0 = dm·h1·act'(h0)` and `dh1 = dm·act(h0)` (gated), or
 * `dh0 = dm·act'(h0)`.
 */
export function gatedActivationGrads(
  h0: Tensor,
  h1: Tensor | undefined,
  dm: Tensor,
  activation: T5Activation,
): { dh0: Tensor; dh1?: Tensor } {
  const fused = FUSED_ACTIVATION_MODES[activation] !== undefined;
  const operands = [h0, dm, ...(h1 ? [h1] : [])];
  if (
    fused &&
    fusable(FUSED_KERNELS.activationGrad, ...operands) &&
    operands.every((t) => t.size === h0.size)
  ) {
    const [dh0, dh1] = tf
      .engine()
      .runKernel(FUSED_KERNELS.activationGrad, h1 ? { h0, h1, dm } : { h0, dm }, { activation }) as Tensor[];
    return h1 !== undefined ? { dh0: dh0!, dh1: dh1! } : { dh0: dh0! };
  }
  return tf.tidy(() => {
    if (h1 === undefined) return { dh0: tf.mul(dm, activationDerivative(h0, activation)) };
    return {
      dh0: tf.mul(tf.mul(dm, h1), activationDerivative(h0, activation)),
      dh1: tf.mul(dm, activate(h0, activation)),
    };
  });
}
