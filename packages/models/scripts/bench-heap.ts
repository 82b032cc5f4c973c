/**
 * The heap kernels in steady state (ad hoc): the row-lookup gradient (FlanScatterRows against tfjs's
 * ScatterNd, same inputs, one process), and the Identity / scatter / Add kernels of a training step
 * profiled after warm-up steps (the first step of a process pays for growing the heap).
 * Usage: tsx scripts/bench-heap.ts [batch] [warm-up steps]
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index';
import { scatterRows } from '../src/kernels/embedding';
import { randomModel, randomTrainingBatch, trainStep } from './random-model';

await initBackend('wasm');

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeMs(f: () => tf.Tensor, reps = 7): number {
  f().dispose();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const out = f();
    times.push(performance.now() - t0);
    out.dispose();
  }
  return median(times);
}

for (const [n, d, numRows, what] of [
  [1280, 512, 32128, 'shared embedding, batch 8 × (128 + 32) tokens'],
  [16384, 6, 32, 'encoder position bias, 128 × 128'],
] as const) {
  const rows = tf.randomNormal([n, d]) as tf.Tensor2D;
  const ids = tf.tensor1d(
    Array.from({ length: n }, (_, i) => (i * 31) % numRows),
    'int32',
  );
  const ours = timeMs(() => scatterRows(rows, ids, numRows));
  const theirs = timeMs(() => tf.scatterND(tf.reshape(ids, [-1, 1]), rows, [numRows, d]));
  console.log(
    `scatter [${n}, ${d}] → [${numRows}, ${d}] (${what}): FlanScatterRows ${ours.toFixed(1)} ms, ScatterNd ${theirs.toFixed(1)} ms`,
  );
  tf.dispose([rows, ids]);
}
const x = tf.randomNormal([1024, 1024]);
console.log(`clone [1024, 1024]: ${(timeMs(() => tf.clone(x), 50) * 1000).toFixed(1)} µs`);
x.dispose();

const batch = Number(process.argv[2] ?? 8);
const warm = Number(process.argv[3] ?? 1);
const model = randomModel();
const data = randomTrainingBatch(batch);
const step = () => trainStep(model, data);
/** The wasm heap's size: it only grows, and first touches of new pages are slow on these machines. */
const heapMiB = () =>
  (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength / 2 ** 20;
const wall: number[] = [];
const heap: number[] = [heapMiB()];
for (let i = 0; i < warm; i++) {
  const t0 = performance.now();
  step();
  wall.push(performance.now() - t0);
  heap.push(heapMiB());
}
const info = await tf.profile(() => {
  step();
  return tf.scalar(0);
});
const rowsOf = new Map<string, { ms: number; n: number }>();
for (const k of info.kernels) {
  const shapes = JSON.stringify(k.inputShapes);
  const key = k.name === 'Add' || k.name === 'Slice' ? `${k.name} ${shapes}` : k.name;
  if (!/^(Identity|ScatterNd|FlanScatterRows|Add \[\[32128,512\]|PadV2|Slice \[\[1280)/.test(key)) continue;
  const a = rowsOf.get(key) ?? { ms: 0, n: 0 };
  a.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  a.n += 1;
  rowsOf.set(key, a);
}
console.log(
  `train step batch ${batch}, warm-up walls ${wall.map((w) => w.toFixed(0)).join(', ')} ms; wasm heap MiB at start and after each: ${heap.map((h) => h.toFixed(0)).join(', ')}; profiled step:`,
);
console.log(`  kernels ${info.kernels.length}`);
for (const [k, v] of [...rowsOf].sort((a, b) => b[1].ms - a[1].ms))
  console.log(`${v.ms.toFixed(1).padStart(9)} ms ${String(v.n).padStart(4)} × ${k}`);
