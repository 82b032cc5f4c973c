/**
 * Micro-benchmark of the wasm backend's `BatchMatMul` on the products T5 runs: our GEMM
 * (`src/kernels/wasm/gemm.ts`) against tfjs-backend-wasm's own kernel (XNNPACK for plain 2-D products),
 * median of interleaved runs, GFLOP/s.
 * Usage: tsx scripts/bench-gemm.ts [reps]
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { installGemmKernels } from '../src/kernels/wasm/gemm';
import { wasmBackendInternals } from '../src/kernels/wasm/runtime';

interface Case {
  name: string;
  a: number[];
  b: number[];
  transposeA?: boolean;
  transposeB?: boolean;
}

const cases: Case[] = [
  { name: 'scores b1 q·kᵀ', a: [1, 6, 128, 64], b: [1, 6, 128, 64], transposeB: true },
  { name: 'context b1 p·v', a: [1, 6, 128, 128], b: [1, 6, 128, 64] },
  { name: 'scores b8 q·kᵀ', a: [8, 6, 128, 64], b: [8, 6, 128, 64], transposeB: true },
  { name: 'dV b8 pᵀ·dA', a: [8, 6, 128, 128], b: [8, 6, 128, 64], transposeA: true },
  { name: 'decode p·v', a: [1, 6, 1, 32], b: [1, 6, 32, 64] },
  { name: 'decode q/k/v', a: [1, 512], b: [512, 384] },
  { name: 'decode b8 ff', a: [8, 512], b: [512, 1024] },
  { name: 'decode lm head', a: [1, 512], b: [512, 32128] },
  { name: 'linear 2-D', a: [1024, 512], b: [512, 1024] },
  { name: 'linear 2-D b1', a: [128, 512], b: [512, 384] },
  { name: 'ff out 2-D', a: [1024, 1024], b: [1024, 512] },
  { name: 'lm head 2-D', a: [256, 512], b: [512, 32128] },
  { name: 'dw gᵀ·x', a: [1024, 1024], b: [1024, 512], transposeA: true },
  { name: 'dw gᵀ·x b1', a: [128, 384], b: [128, 512], transposeA: true },
  { name: 'x·wᵀ', a: [1024, 512], b: [1024, 512], transposeB: true },
];

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)]!;
}

type Variant = 'tfjs' | 'ours';

/** Median ms per variant, the variants interleaved round by round so that machine noise hits all alike. */
function time(c: Case, reps: number, use: (v: Variant) => void): Record<Variant, number> {
  const a = tf.randomNormal(c.a);
  const b = tf.randomNormal(c.b);
  const run = () => tf.matMul(a, b, c.transposeA, c.transposeB);
  const ms: Record<Variant, number[]> = { tfjs: [], ours: [] };
  for (let r = -3; r < reps; r++) {
    for (const v of ['tfjs', 'ours'] as const) {
      use(v);
      const t0 = performance.now();
      // wasm kernels run synchronously: no dataSync, whose copy-out (and its garbage) is not the kernel's.
      const y = run();
      if (r >= 0) ms[v].push(performance.now() - t0);
      y.dispose();
    }
  }
  tf.dispose([a, b]);
  return { tfjs: median(ms.tfjs), ours: median(ms.ours) };
}

function flops(c: Case): number {
  const [ar, ac] = c.a.slice(-2) as [number, number];
  const [br, bc] = c.b.slice(-2) as [number, number];
  const m = c.transposeA ? ac : ar;
  const k = c.transposeA ? ar : ac;
  const n = c.transposeB ? br : bc;
  const batch = Math.max(
    c.a.slice(0, -2).reduce((x, y) => x * y, 1),
    c.b.slice(0, -2).reduce((x, y) => x * y, 1),
  );
  return 2 * batch * m * n * k;
}

const reps = Number(process.argv[2] ?? 7);
await tf.setBackend('wasm');
await tf.ready();
const backend = wasmBackendInternals()!;
const original = tf.getKernel(tf.BatchMatMul, 'wasm')!;
if (!(await installGemmKernels(backend))) throw new Error('gemm kernels could not be installed');
const installed = tf.getKernel(tf.BatchMatMul, 'wasm')!;
const use = (v: Variant) => {
  tf.unregisterKernel(tf.BatchMatMul, 'wasm');
  tf.registerKernel(v === 'tfjs' ? original : installed);
};

console.log(`median of ${reps} interleaved runs, ms (GFLOP/s)`);
console.log('| product | shapes | tfjs-wasm (XNNPACK for plain 2-D) | our GEMM |');
console.log('|---|---|---:|---:|');
for (const c of cases) {
  const t = time(c, reps, use);
  const f = flops(c) / 1e6;
  const cell = (ms: number) => `${ms.toFixed(2)} (${(f / ms).toFixed(1)})`;
  const shapes = `${JSON.stringify(c.a)}${c.transposeA ? 'ᵀ' : ''} x ${JSON.stringify(c.b)}${c.transposeB ? 'ᵀ' : ''}`;
  console.log(`| ${c.name} | ${shapes} | ${cell(t.tfjs)} | ${cell(t.ours)} |`);
}
