/** The feed-forward activations of T5 (HF `ACT2FN`) and their derivatives. */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import type { T5Activation } from '../t5/config';

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
