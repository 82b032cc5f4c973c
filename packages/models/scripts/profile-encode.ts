/** Kernel time breakdown of one encoder pass at flan-t5-small shapes (ad hoc). */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index';
import { randomModel } from './random-model';

await initBackend((process.argv[2] ?? 'wasm') as 'wasm');
const model = randomModel();
const batch = Number(process.argv[3] ?? 8);
const x = tf.tensor2d(
  new Int32Array(batch * 128).map((_, i) => 3 + ((i * 31) % 30000)),
  [batch, 128],
  'int32',
);
const mask = tf.onesLike(x) as tf.Tensor2D;
model.encode(x, mask).dispose();
const info = await tf.profile(() => {
  const y = model.encode(x, mask);
  y.dataSync();
  return y;
});
const agg = new Map<string, { ms: number; n: number }>();
let total = 0;
for (const k of info.kernels) {
  const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
  const a = agg.get(key) ?? { ms: 0, n: 0 };
  a.ms += ms;
  a.n += 1;
  agg.set(key, a);
  total += ms;
}
console.log('total kernel ms', total.toFixed(0));
for (const [k, v] of [...agg].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25))
  console.log(v.ms.toFixed(1).padStart(8), String(v.n).padStart(4), k);
