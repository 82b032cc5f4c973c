/**
 * Where splitting a GEMM over 2 threads starts to pay (`MIN_PARALLEL_FLOPS` in
 * src/kernels/wasm/gemm.ts): square-ish products from 2^15 to 2^25 flops, each timed on 1 thread and
 * split on 2 (the threshold forced to infinity, then 0; the pool stays up), interleaved round by round, median wall-clock microseconds.
 *
 *   node --import tsx bench/thread-break-even.ts [rounds]
 */
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index';
import { MIN_PARALLEL_FLOPS, setMinParallelFlops } from '../src/kernels/wasm/gemm-threaded';
import { median } from './spec';

const rounds = Number(process.argv[2] ?? 41);
await initBackend('wasm', { threads: 2 });
console.log(
  `load average ${loadavg()[0]!.toFixed(1)}; MIN_PARALLEL_FLOPS now 2^${Math.log2(MIN_PARALLEL_FLOPS)}`,
);
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
