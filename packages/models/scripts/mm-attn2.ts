import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index';
await initBackend('wasm');
function bench(name: string, fn: () => tf.Tensor, n = 3) {
  fn().dispose();
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    const r = fn();
    r.dataSync();
    r.dispose();
  }
  console.log(name.padEnd(30), ((performance.now() - t) / n).toFixed(1), 'ms');
}
const q = tf.randomNormal([48, 128, 64]);
const kt = tf.randomNormal([48, 64, 128]);
bench('slices only', () =>
  tf.tidy(() => {
    let s = tf.scalar(0);
    for (let i = 0; i < 48; i++) s = tf.slice(q, [i, 0, 0], [1, 128, 64]);
    return s;
  }),
);
const parts = tf.unstack(q);
bench('stack only', () => tf.stack(parts));
bench('concat only', () => tf.concat(parts.map((p) => tf.reshape(p, [1, 128, 64]))));
const q2 = tf.reshape(q, [48 * 128, 64]);
bench('row slices 2d', () =>
  tf.tidy(() => {
    let s = tf.scalar(0);
    for (let i = 0; i < 48; i++) s = tf.slice(q2, [i * 128, 0], [128, 64]);
    return s;
  }),
);
bench('matmul loop w/ 2d slices', () =>
  tf.tidy(() => {
    let s = tf.scalar(0);
    for (let i = 0; i < 48; i++)
      s = tf.matMul(
        tf.slice(q2, [i * 128, 0], [128, 64]),
        tf.reshape(tf.slice(kt, [i, 0, 0], [1, 64, 128]), [64, 128]),
      );
    return s;
  }),
);
