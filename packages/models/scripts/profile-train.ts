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
const info = await tf.profile(() => {
  const { loss, grads } = computeGradients(model, { inputIds, attentionMask, decoderInputIds, labels });
  loss.dataSync();
  tf.dispose([loss, ...grads.values()]);
  return tf.scalar(0);
});
printKernelBreakdown(info, { byShape: false, top: 12 });
printKernelBreakdown(info, { byShape: true, top: 30 });
