/**
 * Ad-hoc measurement of the compute path at flan-t5-small shapes with random weights (not the
 * benchmark: that is bench/). Usage: npx tsx scripts/measure-compute.ts [wasm|cpu] [what...]
 * what: encode, decode, train (default all).
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendName } from '../src/backend/index';
import { computeGradients } from '../src/t5/gradients';
import type { T5Model } from '../src/t5/model';
import { randomModel } from './random-model';

function ids(batch: number, len: number): tf.Tensor2D {
  const data = new Int32Array(batch * len);
  for (let i = 0; i < data.length; i++) data[i] = 3 + ((i * 7919) % 32000);
  return tf.tensor2d(data, [batch, len], 'int32');
}

function heapBytes(): number {
  const b = tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } };
  return b.wasm?.HEAPU8.length ?? 0;
}

const backend = (process.argv[2] ?? 'wasm') as BackendName;
const what = process.argv.slice(3);
const want = (w: string) => what.length === 0 || what.includes(w);
await initBackend(backend);
const model = randomModel();
console.log(
  `backend ${backend}, heap after load ${(heapBytes() / 2 ** 20).toFixed(0)} MiB, tensors ${tf.memory().numTensors}`,
);

if (want('encode')) {
  for (const batch of [1, 8]) {
    const x = ids(batch, 128);
    const mask = tf.onesLike(x) as tf.Tensor2D;
    model.encode(x, mask).dispose();
    const reps = batch === 1 ? 5 : 2;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < reps; i++) {
      const y = model.encode(x, mask);
      y.dataSync();
      y.dispose();
    }
    const ms = (performance.now() - t0) / reps;
    const c1 = process.cpuUsage(c0);
    const cpuMs = (c1.user + c1.system) / 1000 / reps;
    console.log(
      `encode batch ${batch}x128: ${ms.toFixed(0)} ms, ${((batch * 128) / (ms / 1000)).toFixed(0)} tokens/s wall, ${((batch * 128) / (cpuMs / 1000)).toFixed(0)} tokens/s per CPU second`,
    );
    tf.dispose([x, mask]);
  }
}

if (want('decode')) {
  const x = ids(1, 128);
  const mask = tf.onesLike(x) as tf.Tensor2D;
  const enc = model.encode(x, mask);
  let cache: ReturnType<T5Model['decode']>['cache'] | undefined;
  let token = tf.tensor2d([[0]], [1, 1], 'int32');
  const steps = 32;
  let t0 = 0;
  let c0 = process.cpuUsage();
  for (let s = 0; s < steps; s++) {
    if (s === 2) {
      t0 = performance.now();
      c0 = process.cpuUsage();
    }
    const out = model.decode(token, enc, mask, cache);
    cache?.dispose();
    cache = out.cache;
    const next = tf.tidy(() => tf.reshape(tf.cast(tf.argMax(out.logits, -1), 'int32'), [1, 1]));
    next.dataSync();
    token.dispose();
    out.logits.dispose();
    token = next as tf.Tensor2D;
  }
  const ms = (performance.now() - t0) / (steps - 2);
  const c1 = process.cpuUsage(c0);
  const cpuMs = (c1.user + c1.system) / 1000 / (steps - 2);
  console.log(
    `greedy decode with cache, batch 1: ${ms.toFixed(1)} ms/token wall, ${cpuMs.toFixed(1)} CPU ms/token`,
  );
  cache?.dispose();
  tf.dispose([x, mask, enc, token]);
}

if (want('train')) {
  const batch = Number(process.env.BATCH ?? 8);
  const inputIds = ids(batch, 128);
  const attentionMask = tf.onesLike(inputIds) as tf.Tensor2D;
  const labels = ids(batch, 32);
  const decoderInputIds = tf.tidy(() =>
    tf.concat([tf.zeros([batch, 1], 'int32'), tf.slice(labels, [0, 0], [batch, 31])], 1),
  ) as tf.Tensor2D;
  for (let step = 0; step < 3; step++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const { loss, grads } = computeGradients(model, { inputIds, attentionMask, decoderInputIds, labels });
    const l = loss.dataSync()[0];
    const ms = performance.now() - t0;
    const c1 = process.cpuUsage(c0);
    const cpuMs = (c1.user + c1.system) / 1000;
    tf.dispose([loss, ...grads.values()]);
    console.log(
      `train step batch ${batch} (128+32): ${ms.toFixed(0)} ms wall, ${((batch * 160) / (ms / 1000)).toFixed(0)} tokens/s wall, ${((batch * 160) / (cpuMs / 1000)).toFixed(0)} tokens/s per CPU second, loss ${l?.toFixed(3)}, heap ${(heapBytes() / 2 ** 20).toFixed(0)} MiB, tensors ${tf.memory().numTensors}`,
    );
  }
}
model.dispose();
