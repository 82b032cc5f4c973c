/**
 * Kernel time breakdown and wall time of greedy decode steps with the cache at flan-t5-small shapes
 * (batch 1, 128-token encoder output). Usage: tsx scripts/profile-decode.ts [steps per round]
 */
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
  const ids = tf.tensor2d([[5]], [1, 1], 'int32');
  const out = model.decode(ids, enc, mask, cache);
  ids.dispose();
  cache?.dispose();
  cache = out.cache;
  out.logits.dataSync();
  return out.logits;
};
for (let i = 0; i < 4; i++) step().dispose();
const info = await tf.profile(() => step());
// Rounds of steps from a fresh cache (positions 1…steps), so each round sees the same cache lengths.
const steps = Number(process.argv[2] ?? 16);
const perRound: number[] = [];
for (let round = 0; round < 5; round++) {
  cache?.dispose();
  cache = undefined;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step().dispose();
  perRound.push((performance.now() - t0) / steps);
}
perRound.sort((a, b) => a - b);
console.log(
  `wall ms/step median ${perRound[2]!.toFixed(2)} (rounds of ${steps} steps: ${perRound.map((v) => v.toFixed(1)).join(', ')})`,
);
printKernelBreakdown(info, { byShape: process.env.BY_SHAPE === '1', top: 25 });
