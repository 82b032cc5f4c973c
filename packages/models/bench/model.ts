/**
 * The benchmark model: flan-t5-small's shapes with random weights drawn at bench time (seeded), written
 * once as a Hugging Face directory (config.json + model.safetensors) that every engine loads.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serializeSafetensors, type NamedFloat32Tensor } from '../src/checkpoint/safetensors';
import { toHuggingFaceConfig, type T5Config } from '../src/t5/config';
import { expectedT5Tensors } from '../src/t5/parameters';
import { seededUniform } from '@flan-ts/test-support';

/** google/flan-t5-small's config.json, in our field names. */
export const FLAN_T5_SMALL: T5Config = {
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

function normal(size: number, std: number, next: () => number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i += 2) {
    // Box-Muller; 1 - u keeps the log finite.
    const r = std * Math.sqrt(-2 * Math.log(1 - next()));
    const theta = 2 * Math.PI * next();
    out[i] = r * Math.cos(theta);
    if (i + 1 < size) out[i + 1] = r * Math.sin(theta);
  }
  return out;
}

/** Hugging Face's T5 initialisation scale (factor 1) for a parameter; layer norms start at one. */
function initStd(name: string, config: T5Config): number | 'ones' {
  const { dModel, dKv, dFf, numHeads } = config;
  if (name.endsWith('layer_norm.weight')) return 'ones';
  if (name === 'shared.weight') return 1;
  if (name.endsWith('.q.weight')) return (dModel * dKv) ** -0.5;
  if (name.endsWith('.o.weight')) return (numHeads * dKv) ** -0.5;
  if (name.endsWith('.wo.weight')) return dFf ** -0.5;
  return dModel ** -0.5; // k, v, wi, relative_attention_bias, an untied lm_head
}

/**
 * Every tensor of a T5 with this config under its Hugging Face name, drawn with Hugging Face's T5
 * initialisation scales so activations and logits have realistic magnitudes.
 */
export function randomT5Tensors(config: T5Config, seed: number): NamedFloat32Tensor[] {
  const next = seededUniform(seed);
  return expectedT5Tensors(config)
    .filter((t) => t.required)
    .map(({ name, shape }) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const std = initStd(name, config);
      const data = std === 'ones' ? new Float32Array(size).fill(1) : normal(size, std, next);
      return { name, shape: [...shape], data };
    });
}

/** Writes config.json and model.safetensors into `dir`; returns their paths and the parameter count. */
export function writeRandomModel(dir: string, config: T5Config, seed: number) {
  const tensors = randomT5Tensors(config, seed);
  const config_ = join(dir, 'config.json');
  const weights = join(dir, 'model.safetensors');
  writeFileSync(config_, JSON.stringify(toHuggingFaceConfig(config), null, 2));
  writeFileSync(weights, serializeSafetensors(tensors));
  return { config: config_, weights, parameters: tensors.reduce((n, t) => n + t.data.length, 0) };
}
