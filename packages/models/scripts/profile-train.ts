/** Kernel time breakdown of one training step at flan-t5-small shapes (ad hoc). Usage: tsx scripts/profile-train.ts [batch] */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index';
import type { NamedFloat32Tensor } from '../src/checkpoint/safetensors';
import type { T5Config } from '../src/t5/config';
import { computeGradients } from '../src/t5/gradients';
import { expectedShapes, T5Model } from '../src/t5/model';

const CONFIG: T5Config = {
  vocabSize: 32128,
  dModel: 512,
  dKv: 64,
  dFf: 1024,
  numHeads: 6,
  numLayers: 8,
  numDecoderLayers: 8,
  relativeAttentionNumBuckets: 32,
  relativeAttentionMaxDistance: 128,
  layerNormEpsilon: 1e-6,
  dropoutRate: 0,
  isGatedAct: true,
  activation: 'gelu_new',
  tieWordEmbeddings: false,
  padTokenId: 0,
  eosTokenId: 1,
  decoderStartTokenId: 0,
};
await initBackend('wasm');
const tensors = new Map<string, NamedFloat32Tensor>();
for (const [name, shape] of expectedShapes(CONFIG)) {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(
    (_, i) => ((i * 7919) % 1000) / 10000 - 0.05,
  );
  tensors.set(name, { name, shape, data });
}
const model = T5Model.fromTensors(CONFIG, tensors);
const batch = Number(process.argv[2] ?? 8);
const mk = (b: number, l: number) =>
  tf.tensor2d(
    new Int32Array(b * l).map((_, i) => 3 + ((i * 31) % 30000)),
    [b, l],
    'int32',
  );
const inputIds = mk(batch, 128);
const attentionMask = tf.onesLike(inputIds) as tf.Tensor2D;
const labels = mk(batch, 32);
const decoderInputIds = mk(batch, 32);
const info = await tf.profile(() => {
  const { loss, grads } = computeGradients(model, { inputIds, attentionMask, decoderInputIds, labels });
  loss.dataSync();
  tf.dispose([loss, ...grads.values()]);
  return tf.scalar(0);
});
const agg = new Map<string, { ms: number; n: number }>();
let total = 0;
for (const k of info.kernels) {
  if (k.name === 'unnamed scope') continue;
  const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
  const a = agg.get(key) ?? { ms: 0, n: 0 };
  a.ms += ms;
  a.n += 1;
  agg.set(key, a);
  total += ms;
}
const byName = new Map<string, number>();
for (const k of info.kernels)
  if (k.name !== 'unnamed scope') byName.set(k.name, (byName.get(k.name) ?? 0) + (k.kernelTimeMs as number));
console.log('total kernel ms (excluding scopes)', total.toFixed(0));
console.log(
  [...byName]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([n, ms]) => `${n} ${ms.toFixed(0)}`)
    .join(' | '),
);
for (const [k, v] of [...agg].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30))
  console.log(v.ms.toFixed(1).padStart(8), String(v.n).padStart(4), k);
