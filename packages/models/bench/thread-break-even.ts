/**
 * Where splitting a GEMM over 2 threads starts to pay (`MIN_PARALLEL_FLOPS` in
 * src/kernels/wasm/gemm-threaded.ts): square-ish products from 2^15 to 2^25 flops, each timed on 1
 * thread and split on 2 (the threshold forced to infinity, then 0; the pool stays up), interleaved
 * round by round, median wall-clock microseconds. With `--fused`, the same for the fused kernels
 * (`MIN_PARALLEL_ELEMENTS` in src/kernels/wasm/fused-threaded.ts): a gated gelu_new and its gradient,
 * RMSNorm, softmax and cross-entropy over rows of 128, from 2^14 to 2^22 elements.
 *
 *   node --import tsx bench/thread-break-even.ts [rounds] [--fused]
 */
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index';
import { gatedActivation, gatedActivationGrads } from '../src/kernels/activations';
import { rmsNormForward } from '../src/kernels/rmsNorm';
import { maskedSoftmax, softmaxGrad } from '../src/kernels/softmax';
import { MIN_PARALLEL_ELEMENTS, setMinParallelElements } from '../src/kernels/wasm/fused-threaded';
import { MIN_PARALLEL_FLOPS, setMinParallelFlops } from '../src/kernels/wasm/gemm-threaded';
import { tokenCrossEntropy } from '../src/loss/crossEntropy';
import { median } from './spec';

const fused = process.argv.includes('--fused');
const rounds = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 41);
await initBackend('wasm', { threads: 2 });
console.log(
  `load average ${loadavg()[0]!.toFixed(1)}; MIN_PARALLEL_FLOPS now 2^${Math.log2(MIN_PARALLEL_FLOPS)}`,
);
/** Median microseconds of `body` on 1 thread and split on 2, interleaved round by round. */
function time(body: () => tf.Tensor[], setThreshold: (value: number) => void): [number, number] {
  const us: Record<1 | 2, number[]> = { 1: [], 2: [] };
  for (let r = -20; r < rounds; r++) {
    for (const threads of [1, 2] as const) {
      setThreshold(threads === 1 ? Infinity : 0);
      const t0 = performance.now();
      const out = body();
      if (r >= 0) us[threads].push((performance.now() - t0) * 1000);
      tf.dispose(out);
    }
  }
  return [median(us[1]), median(us[2])];
}

if (fused) {
  console.log(`MIN_PARALLEL_ELEMENTS now 2^${Math.log2(MIN_PARALLEL_ELEMENTS)}`);
  console.log('| elements | kernel | 1 thread µs | 2 threads µs | 1 / 2 |');
  console.log('|---:|---|---:|---:|---:|');
  for (let log2 = 14; log2 <= 22; log2++) {
    const n = 2 ** log2;
    const rows = n / 128;
    const x = tf.randomUniform([rows, 128], -2, 2, 'float32', 1);
    const y = tf.randomUniform([rows, 128], -2, 2, 'float32', 2);
    const w = tf.randomUniform([128], 0.5, 1.5, 'float32', 3);
    const s4 = tf.reshape(x, [1, 1, rows, 128]);
    const labels = tf.fill([rows], 3, 'int32');
    const cases: [string, () => tf.Tensor[]][] = [
      [
        'gated gelu_new + gradient',
        () => [
          gatedActivation(x, y, 'gelu_new'),
          ...Object.values(gatedActivationGrads(x, y, y, 'gelu_new')).filter(
            (t): t is tf.Tensor => t !== undefined,
          ),
        ],
      ],
      [
        'RMSNorm',
        () => {
          const f = rmsNormForward(x as tf.Tensor2D, w as tf.Tensor1D, 1e-6);
          return [f.y, f.r];
        },
      ],
      ['cross-entropy (vocab 128)', () => [tokenCrossEntropy(x, labels)]],
      ['softmax', () => [maskedSoftmax(s4)]],
      ['relu', () => [gatedActivation(x, undefined, 'relu')]],
      ['softmax gradient', () => [softmaxGrad(s4, s4)]],
    ];
    for (const [label, body] of cases) {
      const [one, two] = time(body, setMinParallelElements);
      console.log(
        `| 2^${log2} | ${label} | ${one.toFixed(0)} | ${two.toFixed(0)} | ${(one / two).toFixed(2)} |`,
      );
    }
    tf.dispose([x, y, w, s4, labels]);
  }
  console.log(`load average ${loadavg()[0]!.toFixed(1)}`);
  process.exit(0);
}

console.log('| flops | m × k × n (transposeB) | 1 thread µs | 2 threads µs | 1 / 2 |');
console.log('|---:|---|---:|---:|---:|');
for (let log2 = 15; log2 <= 25; log2++) {
  // m = n = 2k: 2·m·n·k = m³ = 2^log2.
  const m = Math.round(2 ** (log2 / 3));
  const k = Math.max(1, Math.round(m / 2));
  // transposeB keeps every size on our kernel (plain 2-D products under 64 rows go to XNNPACK).
  const a = tf.randomUniform([m, k], -1, 1, 'float32', 1);
  const b = tf.randomUniform([m, k], -1, 1, 'float32', 2);
  const us: Record<1 | 2, number[]> = { 1: [], 2: [] };
  for (let r = -20; r < rounds; r++) {
    for (const threads of [1, 2] as const) {
      // The pool stays up: "1 thread" is the same call kept on the calling thread.
      setMinParallelFlops(threads === 1 ? Infinity : 0);
      const t0 = performance.now();
      const y = tf.matMul(a, b, false, true);
      if (r >= 0) us[threads].push((performance.now() - t0) * 1000);
      y.dispose();
    }
  }
  tf.dispose([a, b]);
  const [one, two] = [median(us[1]), median(us[2])];
  console.log(
    `| 2^${log2} | ${m} × ${k} × ${m} | ${one.toFixed(0)} | ${two.toFixed(0)} | ${(one / two).toFixed(2)} |`,
  );
}
console.log(`load average ${loadavg()[0]!.toFixed(1)}`);
