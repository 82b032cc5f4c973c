/** Kernel time breakdown of one training step at flan-t5-small shapes (ad hoc). Usage: tsx scripts/profile-train.ts [batch] */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index';
import { computeGradients } from '../src/t5/gradients';
import { randomModel } from './random-model';

await initBackend('wasm');
const model = randomModel();
const batch = Number(process.argv[2] ?? 8);
const mk = (b: number, l: number) =>
  tf.tensor2d(
    new Int32Array(b * l).map((_, i) => 3 + ((i * 31) % 30000)),
    [b, l],
    'int32',
  );
const inputIds = mk(batch, 128);
const attentionMask = tf.onesLike(inputIds) as tf.Tensor2D;
const labels = mk(batch, 32);
const decoderInputIds = mk(batch, 32);
const info = await tf.profile(() => {
  const { loss, grads } = computeGradients(model, { inputIds, attentionMask, decoderInputIds, labels });
  loss.dataSync();
  tf.dispose([loss, ...grads.values()]);
  return tf.scalar(0);
});
const agg = new Map<string, { ms: number; n: number }>();
let total = 0;
for (const k of info.kernels) {
  if (k.name === 'unnamed scope') continue;
  const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
  const a = agg.get(key) ?? { ms: 0, n: 0 };
  a.ms += ms;
  a.n += 1;
  agg.set(key, a);
  total += ms;
}
const byName = new Map<string, number>();
for (const k of info.kernels)
  if (k.name !== 'unnamed scope') byName.set(k.name, (byName.get(k.name) ?? 0) + (k.kernelTimeMs as number));
console.log('total kernel ms (excluding scopes)', total.toFixed(0));
console.log(
  [...byName]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([n, ms]) => `${n} ${ms.toFixed(0)}`)
    .join(' | '),
);
for (const [k, v] of [...agg].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30))
  console.log(v.ms.toFixed(1).padStart(8), String(v.n).padStart(4), k);
