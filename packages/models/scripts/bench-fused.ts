/**
 * Micro-benchmark of the fused wasm kernels against the composite tfjs ops they replace, at
 * flan-t5-small training shapes (batch 8: 1024 encoder tokens, 256 decoder tokens). Prints the median
 * ms of each op both ways. With `encode` (batch 1) or `train` (batch 8 step) it profiles the model
 * instead and prints the median kernel time, all kernels and the elementwise ones, both ways.
 * Usage: tsx scripts/bench-fused.ts [rounds] [ops | encode | train]
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index';
import { gatedActivation, gatedActivationGrads } from '../src/kernels/activations';
import { rmsNormForward, rmsNormGrads } from '../src/kernels/rmsNorm';
import { maskedSoftmax, softmaxGrad } from '../src/kernels/softmax';
import { FUSED_KERNELS } from '../src/kernels/wasm/fused';
import { crossEntropyLoss } from '../src/loss/crossEntropy';
import { randomModel, randomTrainingBatch, trainStep } from './random-model';

await initBackend('wasm');
const rounds = Number(process.argv[2] ?? 7);
const mode = process.argv[3] ?? 'ops';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

// Without our kernels registered the callers fall back to the composite tfjs ops; the two are
// measured alternately, after warm-up rounds (V8 compiles wasm with a baseline tier first).
const configs = Object.values(FUSED_KERNELS).map((name) => tf.getKernel(name, 'wasm')!);
const setFused = (on: boolean) => {
  for (const c of configs) {
    if (tf.getKernel(c.kernelName, 'wasm') !== undefined) tf.unregisterKernel(c.kernelName, 'wasm');
    if (on) tf.registerKernel(c);
  }
};

function benchOps(): void {
  const rand = (shape: number[], scale = 1) => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 1), scale);
  const x = rand([1024, 512]);
  const w = tf.add(rand([512], 0.1), 1) as tf.Tensor1D;
  const dy = rand([1024, 512]);
  const h0 = rand([1024, 1024]);
  const h1 = rand([1024, 1024]);
  const dm = rand([1024, 1024]);
  const scores = rand([8, 6, 128, 128], 3);
  const bias = rand([1, 6, 128, 128]);
  const mask = tf.mul(tf.cast(tf.greater(rand([8, 1, 1, 128]), 1.5), 'float32'), -1e9);
  const dProbs = rand([8, 6, 128, 128]);
  const logits = rand([256, 32128], 4);
  const labels = tf.tensor1d(
    Array.from({ length: 256 }, (_, i) => (i % 7 === 6 ? -100 : (i * 997) % 32128)),
    'int32',
  );
  const { r } = rmsNormForward(x as tf.Tensor2D, w, 1e-6);
  const probs = maskedSoftmax(scores, bias, mask);
  const lossGrad = tf.valueAndGrad((l: tf.Tensor) => crossEntropyLoss(l, labels));

  const cases: [string, () => tf.TensorContainer][] = [
    ['rmsNorm forward [1024,512]', () => rmsNormForward(x as tf.Tensor2D, w, 1e-6)],
    ['rmsNorm gradient [1024,512]', () => rmsNormGrads(dy as tf.Tensor2D, x as tf.Tensor2D, w, r)],
    ['gated gelu_new forward [1024,1024]', () => gatedActivation(h0, h1, 'gelu_new')],
    ['gated gelu_new gradient [1024,1024]', () => gatedActivationGrads(h0, h1, dm, 'gelu_new')],
    ['masked softmax [8,6,128,128]', () => maskedSoftmax(scores, bias, mask)],
    ['softmax gradient [8,6,128,128]', () => softmaxGrad(probs, dProbs)],
    ['cross-entropy loss + grad [256,32128]', () => lossGrad(logits)],
  ];

  /** ms of one call, with its outputs read back (dataSync) and released. */
  function once(f: () => tf.TensorContainer): number {
    const t0 = performance.now();
    const out = f();
    const ts: tf.Tensor[] = [];
    const walk = (c: tf.TensorContainer): void => {
      if (c instanceof tf.Tensor) ts.push(c);
      else if (c !== null && typeof c === 'object') Object.values(c).forEach(walk);
    };
    walk(out);
    ts.forEach((t) => t.dataSync());
    const dt = performance.now() - t0;
    tf.dispose(ts);
    return dt;
  }

  const WARMUP = 5;
  const fusedTimes = cases.map((): number[] => []);
  const compositeTimes = cases.map((): number[] => []);
  for (let round = 0; round < WARMUP + rounds; round++) {
    for (const on of [true, false]) {
      setFused(on);
      // Untimed: the first op after (un)registering kernels runs measurably slower.
      once(cases[0]![1]);
      cases.forEach(([, f], i) => {
        const dt = once(f);
        if (round >= WARMUP) (on ? fusedTimes : compositeTimes)[i]!.push(dt);
      });
    }
  }
  setFused(true);
  const fused = fusedTimes.map(median);
  const composite = compositeTimes.map(median);

  console.log(`| op (wasm, 1 thread, median of ${rounds}) | composite ms | fused ms | speed-up |`);
  console.log('|---|---:|---:|---:|');
  cases.forEach(([name], i) => {
    const c = composite[i]!;
    const f = fused[i]!;
    console.log(`| ${name} | ${c.toFixed(1)} | ${f.toFixed(1)} | ${(c / f).toFixed(1)}x |`);
  });
}

/** Kernels that are not elementwise work (products, gathers, copies, layout) or that wrap others. */
const NOT_ELEMENTWISE =
  /BatchMatMul|FlanHead|FlanPosition|FlanScatter|Gather|Transpose|Identity|Reshape|Slice|Fill|Cast|Range|Scatter|forward/;

async function profileModel(what: 'encode' | 'train'): Promise<void> {
  const model = randomModel();
  const data = randomTrainingBatch(what === 'encode' ? 1 : 8);
  const run = (): tf.Tensor => {
    if (what === 'encode') {
      const y = model.encode(data.inputIds, data.attentionMask);
      y.dataSync();
      return y;
    }
    trainStep(model, data);
    return tf.scalar(0);
  };
  for (const on of [true, false]) {
    setFused(on);
    tf.dispose(run());
  }
  const stats = {
    fused: { all: [] as number[], elementwise: [] as number[], kernels: 0 },
    composite: { all: [] as number[], elementwise: [] as number[], kernels: 0 },
  };
  for (let round = 0; round < rounds; round++) {
    for (const on of [true, false]) {
      setFused(on);
      const info = await tf.profile(run);
      const s = on ? stats.fused : stats.composite;
      let all = 0;
      let elementwise = 0;
      s.kernels = 0;
      for (const k of info.kernels) {
        if (k.name === 'unnamed scope') continue;
        const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
        all += ms;
        s.kernels++;
        if (!NOT_ELEMENTWISE.test(k.name)) elementwise += ms;
      }
      s.all.push(all);
      s.elementwise.push(elementwise);
    }
  }
  setFused(true);
  console.log(
    `| ${what} (wasm, 1 thread, median of ${rounds}) | kernels | kernel ms | elementwise kernel ms |`,
  );
  console.log('|---|---:|---:|---:|');
  for (const [name, s] of Object.entries(stats)) {
    console.log(
      `| ${name} | ${s.kernels} | ${median(s.all).toFixed(1)} | ${median(s.elementwise).toFixed(1)} |`,
    );
  }
}

if (mode === 'ops') benchOps();
else await profileModel(mode === 'train' ? 'train' : 'encode');
