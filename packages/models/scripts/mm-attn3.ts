import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index';
await initBackend('wasm');
function bench(name: string, fn: () => tf.Tensor, n = 5) {
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
const idx = Array.from({ length: 48 }, (_, i) => tf.tensor1d([i], 'int32'));
bench('batched', () => tf.matMul(q, kt));
bench('gather loop', () =>
  tf.tidy(() =>
    tf.concat(
      idx.map((i) =>
        tf.reshape(
          tf.matMul(tf.reshape(tf.gather(q, i), [128, 64]), tf.reshape(tf.gather(kt, i), [64, 128])),
          [1, 128, 128],
        ),
      ),
    ),
  ),
);
bench('gathers only', () => tf.tidy(() => tf.concat(idx.map((i) => tf.gather(q, i)))));
bench('batched', () => tf.matMul(q, kt));
