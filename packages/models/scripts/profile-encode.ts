/** Kernel time breakdown of one encoder pass at flan-t5-small shapes (ad hoc). */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index';
import { printKernelBreakdown } from './kernel-breakdown';
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
printKernelBreakdown(info, { byShape: true, top: 25 });
