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
const k = tf.randomNormal([48, 128, 64]);
const kt = tf.transpose(k, [0, 2, 1]);
bench('batched q kT (flag)', () => tf.matMul(q, k, false, true));
bench('batched q kt', () => tf.matMul(q, kt));
bench('unstack loop', () =>
  tf.tidy(() => {
    const qs = tf.unstack(q),
      ks = tf.unstack(kt);
    return tf.stack(qs.map((a, i) => tf.matMul(a, ks[i]!)));
  }),
);
bench('unstack only', () => tf.tidy(() => tf.stack(tf.unstack(q))));
bench('slice loop', () =>
  tf.tidy(() =>
    tf.concat(
      Array.from({ length: 48 }, (_, i) =>
        tf.matMul(
          tf.reshape(tf.slice(q, [i, 0, 0], [1, 128, 64]), [128, 64]),
          tf.reshape(tf.slice(kt, [i, 0, 0], [1, 64, 128]), [64, 128]),
        ),
      ),
    ),
  ),
);
const a2 = tf.randomNormal([128, 64]);
const b2 = tf.randomNormal([64, 128]);
bench('single 2d x48', () => tf.tidy(() => tf.addN(Array.from({ length: 48 }, () => tf.matMul(a2, b2)))));
bench('single 2d x48 fresh b', () =>
  tf.tidy(() => tf.addN(Array.from({ length: 48 }, () => tf.matMul(a2, tf.add(b2, 0))))),
);
// block: per batch elt, all heads: [6*128, 64] x [64, 6*128]
const q8 = tf.reshape(q, [8, 768, 64]);
const kt8 = tf.transpose(tf.reshape(k, [8, 768, 64]), [0, 2, 1]);
bench('blockdiag 8 x [768,64][64,768]', () =>
  tf.tidy(() =>
    tf.stack(
      Array.from({ length: 8 }, (_, i) =>
        tf.matMul(
          tf.reshape(tf.slice(q8, [i, 0, 0], [1, 768, 64]), [768, 64]),
          tf.reshape(tf.slice(kt8, [i, 0, 0], [1, 64, 768]), [64, 768]),
        ),
      ),
    ),
  ),
);
const x = tf.randomNormal([1024, 512]);
const w = tf.randomNormal([512, 1024]);
bench('linear 1024x512x1024', () => tf.matMul(x, w));
