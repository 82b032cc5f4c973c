/** Kernel time breakdown of greedy decode steps with the cache at flan-t5-small shapes (ad hoc). */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index';
import type { DecoderCache } from '../src/t5/interface';
import { printKernelBreakdown } from './kernel-breakdown';
import { randomModel } from './random-model';

await initBackend('wasm');
const model = randomModel();
const x = tf.tensor2d(
  new Int32Array(128).map((_, i) => 3 + i),
  [1, 128],
  'int32',
);
const mask = tf.onesLike(x) as tf.Tensor2D;
const enc = model.encode(x, mask);
let cache: DecoderCache | undefined;
const step = () => {
  const out = model.decode(tf.tensor2d([[5]], [1, 1], 'int32'), enc, mask, cache);
  cache?.dispose();
  cache = out.cache;
  out.logits.dataSync();
  return out.logits;
};
for (let i = 0; i < 4; i++) step().dispose();
const info = await tf.profile(() => step());
const t0 = performance.now();
for (let i = 0; i < 10; i++) step().dispose();
console.log('wall ms/step', ((performance.now() - t0) / 10).toFixed(1));
printKernelBreakdown(info, { byShape: false, top: 15 });
