/** Kernel time breakdown of greedy decode steps with the cache at flan-t5-small shapes (ad hoc). */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index';
import type { NamedFloat32Tensor } from '../src/checkpoint/safetensors';
import type { T5Config } from '../src/t5/config';
import type { DecoderCache } from '../src/t5/interface';
import { expectedShapes, T5Model } from '../src/t5/model';

const CONFIG: T5Config = {
  vocabSize: 32128, dModel: 512, dKv: 64, dFf: 1024, numHeads: 6, numLayers: 8, numDecoderLayers: 8,
  relativeAttentionNumBuckets: 32, relativeAttentionMaxDistance: 128, layerNormEpsilon: 1e-6, dropoutRate: 0,
  isGatedAct: true, activation: 'gelu_new', tieWordEmbeddings: false, padTokenId: 0, eosTokenId: 1, decoderStartTokenId: 0,
};
await initBackend('wasm');
const tensors = new Map<string, NamedFloat32Tensor>();
for (const [name, shape] of expectedShapes(CONFIG)) {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => ((i * 7919) % 1000) / 10000 - 0.05);
  tensors.set(name, { name, shape, data });
}
const model = T5Model.fromTensors(CONFIG, tensors);
const x = tf.tensor2d(new Int32Array(128).map((_, i) => 3 + i), [1, 128], 'int32');
const mask = tf.onesLike(x) as tf.Tensor2D;
const enc = model.encode(x, mask);
let cache: DecoderCache | undefined;
const step = () => {
  const out = model.decode(tf.tensor2d([[5]], [1, 1], 'int32'), enc, mask, cache);
  cache?.dispose();
  cache = out.cache;
  out.logits.dataSync();
  return out.logits;
};
for (let i = 0; i < 4; i++) step().dispose();
const info = await tf.profile(() => step());
const agg = new Map<string, { ms: number; n: number }>();
let total = 0;
for (const k of info.kernels) {
  const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  const key = `${k.name}`;
  const a = agg.get(key) ?? { ms: 0, n: 0 };
  a.ms += ms; a.n += 1; agg.set(key, a); total += ms;
}
const t0 = performance.now();
for (let i = 0; i < 10; i++) step().dispose();
console.log('wall ms/step', ((performance.now() - t0) / 10).toFixed(1), 'kernel ms', total.toFixed(1), 'kernels', info.kernels.length);
for (const [k, v] of [...agg].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15)) console.log(v.ms.toFixed(1).padStart(8), String(v.n).padStart(4), k);
