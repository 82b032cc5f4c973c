/** Kernel time breakdown of one encoder pass at flan-t5-small shapes (ad hoc). */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index';
import type { NamedFloat32Tensor } from '../src/checkpoint/safetensors';
import { expectedShapes, T5Model } from '../src/t5/model';
import type { T5Config } from '../src/t5/config';

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
await initBackend((process.argv[2] ?? 'wasm') as 'wasm');
const tensors = new Map<string, NamedFloat32Tensor>();
for (const [name, shape] of expectedShapes(CONFIG)) {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(
    (_, i) => ((i * 7919) % 1000) / 10000 - 0.05,
  );
  tensors.set(name, { name, shape, data });
}
const model = T5Model.fromTensors(CONFIG, tensors);
const batch = Number(process.argv[3] ?? 8);
const x = tf.tensor2d(
  new Int32Array(batch * 128).map((_, i) => 3 + ((i * 31) % 30000)),
  [batch, 128],
  'int32',
);
const mask = tf.onesLike(x) as tf.Tensor2D;
model.encode(x, mask).dispose();
const info = await tf.profile(() => {
  const y = model.encode(x, mask);
  y.dataSync();
  return y;
});
const agg = new Map<string, { ms: number; n: number }>();
let total = 0;
for (const k of info.kernels) {
  const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
  const a = agg.get(key) ?? { ms: 0, n: 0 };
  a.ms += ms;
  a.n += 1;
  agg.set(key, a);
  total += ms;
}
console.log('total kernel ms', total.toFixed(0));
for (const [k, v] of [...agg].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25))
  console.log(v.ms.toFixed(1).padStart(8), String(v.n).padStart(4), k);
