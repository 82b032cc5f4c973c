/** Kernel time breakdown of one training step at flan-t5-small shapes (ad hoc). Usage: tsx scripts/profile-train.ts [batch] */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index';
import { computeGradients } from '../src/t5/gradients';
import { printKernelBreakdown } from './kernel-breakdown';
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
const step = () => {
  const { loss, grads } = computeGradients(model, { inputIds, attentionMask, decoderInputIds, labels });
  loss.dataSync();
  tf.dispose([loss, ...grads.values()]);
  return tf.scalar(0);
};
// A first step grows the heap: profiled, it mostly measures first-touch page faults.
step().dispose();
const t0 = performance.now();
step().dispose();
console.log('wall ms of a warm step', (performance.now() - t0).toFixed(0));
const info = await tf.profile(step);
printKernelBreakdown(info, { byShape: false, top: 12 });
printKernelBreakdown(info, { byShape: true, top: 30 });
