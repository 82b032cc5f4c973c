/**
 * The GEMM ceiling at 1 and 2 threads, with and without fused multiply-add: the register-only SIMD
 * peak (assembly/peak.ts, one copy per thread, run side by side) and our GEMM on a 1024 x 1024 x 1024
 * product through tfjs's `matMul` (the pool splits it), wall-clock and CPU time.
 *
 *   node --import tsx bench/gemm-ceiling.ts [--fma 0|1]
 *
 * `--fma 1` needs relaxed SIMD (Node 20: start node with `--experimental-wasm-relaxed-simd`). One JSON
 * line on stdout.
 */
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index';
import { gemmUsesFusedMultiplyAdd } from '../src/kernels/wasm/gemm';
import { wasmBase64 as peakPlain } from '../src/kernels/wasm/generated/peak';
import { wasmBase64 as peakRelaxed } from '../src/kernels/wasm/generated/peak-relaxed';
import { setNumThreads, threadsInUse } from '../src/threads/index';
import { median } from './spec';

const ITERATIONS = 25_000_000;
const FLOPS_PER_ITERATION = 96;

/** Runs the peak loop in `threads` workers at once; GFLOP/s by wall time over all of them. */
async function peakGflops(base64: string, threads: number, repeats: number): Promise<number> {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const bytes = Buffer.from(workerData.base64, 'base64');
    WebAssembly.instantiate(bytes, { env: { memory: new WebAssembly.Memory({ initial: 1 }), abort() {} } })
      .then(({ instance }) => {
        instance.exports.mulAddLoop(workerData.iterations / 10, 0.9999);
        parentPort.postMessage('ready');
        parentPort.on('message', () => {
          instance.exports.mulAddLoop(workerData.iterations, 0.9999);
          parentPort.postMessage('done');
        });
      });`;
  const workers = Array.from(
    { length: threads },
    () => new Worker(source, { eval: true, workerData: { base64, iterations: ITERATIONS } }),
  );
  const next = (w: Worker) => new Promise<void>((resolve) => w.once('message', () => resolve()));
  await Promise.all(workers.map(next));
  const rates: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    const done = Promise.all(workers.map(next));
    for (const w of workers) w.postMessage('go');
    await done;
    rates.push((threads * ITERATIONS * FLOPS_PER_ITERATION) / ((performance.now() - start) / 1000) / 1e9);
  }
  await Promise.all(workers.map((w) => w.terminate()));
  return median(rates);
}

/** Our GEMM on an n x n x n product: GFLOP/s by wall time and by process CPU time. */
function gemmGflops(n: number, repeats: number): { wall: number; cpu: number } {
  const a = tf.randomUniform([n, n], -1, 1, 'float32', 1);
  const b = tf.randomUniform([n, n], -1, 1, 'float32', 2);
  tf.matMul(a, b).dispose();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    tf.matMul(a, b).dispose();
    const used = process.cpuUsage(c0);
    wall.push((2 * n ** 3) / ((performance.now() - t0) / 1000) / 1e9);
    cpu.push((2 * n ** 3) / ((used.user + used.system) / 1e6) / 1e9);
  }
  tf.dispose([a, b]);
  return { wall: median(wall), cpu: median(cpu) };
}

const fma = process.argv.includes('--fma') && process.argv[process.argv.indexOf('--fma') + 1] === '1';
const repeats = process.env.BENCH_QUICK === '1' ? 3 : 7;
await initBackend('wasm', { threads: 1, fusedMultiplyAdd: fma });
if (gemmUsesFusedMultiplyAdd() !== fma) throw new Error(`GEMM variant: wanted fma=${fma}`);
const out: Record<string, unknown> = { fma };
for (const threads of [1, 2]) {
  if ((await setNumThreads(threads)) !== threads) throw new Error(`could not start ${threads} threads`);
  out[`peak_t${threads}`] = await peakGflops(fma ? peakRelaxed : peakPlain, threads, repeats);
  out[`gemm_t${threads}`] = gemmGflops(1024, repeats);
}
if (threadsInUse() !== 2) throw new Error('expected 2 threads');
console.log(JSON.stringify(out));
