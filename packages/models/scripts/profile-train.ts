/** Kernel time breakdown of one training step at flan-t5-small shapes (ad hoc). Usage: tsx scripts/profile-train.ts [batch] [inputLength] [targetLength] */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index';
import { printKernelBreakdown } from './kernel-breakdown';
import { randomModel, randomTrainingBatch, trainStep } from './random-model';

await initBackend('wasm');
const model = randomModel();
const batch = Number(process.argv[2] ?? 8);
const data = randomTrainingBatch(batch, Number(process.argv[3] ?? 128), Number(process.argv[4] ?? 32));
const step = () => {
  trainStep(model, data);
  return tf.scalar(0);
};
// A first step grows the heap: profiled, it mostly measures first-touch page faults.
step().dispose();
const t0 = performance.now();
const cpu0 = process.cpuUsage();
step().dispose();
const cpu = process.cpuUsage(cpu0);
console.log(
  'warm step ms: wall',
  (performance.now() - t0).toFixed(0),
  'cpu',
  ((cpu.user + cpu.system) / 1000).toFixed(0),
);
const info = await tf.profile(step);
printKernelBreakdown(info, { byShape: false, top: 12 });
printKernelBreakdown(info, { byShape: true, top: 30 });
