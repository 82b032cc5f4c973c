/** Kernel time breakdown of one training step at flan-t5-small shapes (ad hoc). Usage: tsx scripts/profile-train.ts [batch] */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index';
import { printKernelBreakdown } from './kernel-breakdown';
import { randomModel, randomTrainingBatch, trainStep } from './random-model';

await initBackend('wasm');
const model = randomModel();
const batch = Number(process.argv[2] ?? 8);
const data = randomTrainingBatch(batch);
const step = () => {
  trainStep(model, data);
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
