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
    // gelu_new: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    const inner = tf.mul(
      tf.add(x, tf.mul(tf.mul(tf.square(x), x), tf.scalar(GELU_NEW_CUBIC))),
      tf.scalar(SQRT_2_OVER_PI),
    );
    return tf.mul(tf.mul(x, tf.scalar(0.5)), tf.add(tf.scalar(1), tf.tanh(inner)));
  });
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
    const x2 = tf.square(x);
    const inner = tf.mul(
      tf.mul(x, tf.add(tf.scalar(1), tf.mul(x2, tf.scalar(GELU_NEW_CUBIC)))),
      tf.scalar(SQRT_2_OVER_PI),
    );
    const t = tf.tanh(inner);
    const dInner = tf.mul(
      tf.add(tf.scalar(1), tf.mul(x2, tf.scalar(3 * GELU_NEW_CUBIC))),
      tf.scalar(SQRT_2_OVER_PI),
    );
    // 0.5·(1 + t) + 0.5·x·(1 − t²)·inner'
    return tf.add(
      tf.mul(tf.scalar(0.5), tf.add(tf.scalar(1), t)),
      tf.mul(tf.mul(tf.mul(x, tf.scalar(0.5)), tf.sub(tf.scalar(1), tf.square(t))), dInner),
    );
  });
}
