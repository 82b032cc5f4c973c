/**
 * The benchmark model: flan-t5-small's shapes with random weights drawn at bench time (seeded), written
 * once as a Hugging Face directory (config.json + model.safetensors) that every engine loads.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serializeSafetensors, type NamedFloat32Tensor } from '../src/checkpoint/safetensors';
import { toHuggingFaceConfig, type T5Config } from '../src/t5/config';

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

/** mulberry32: a small seeded generator of uniform numbers in [0, 1), good enough for benchmark data. */
export function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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

/**
 * Every tensor of a T5 with this config under its Hugging Face name, drawn with Hugging Face's T5
 * initialisation scales (factor 1) so activations and logits have realistic magnitudes.
 */
export function randomT5Tensors(config: T5Config, seed: number): NamedFloat32Tensor[] {
  const next = uniform(seed);
  const tensors: NamedFloat32Tensor[] = [];
  const add = (name: string, shape: number[], std: number) =>
    tensors.push({ name, shape, data: normal(shape[0]! * (shape[1] ?? 1), std, next) });
  const norm = (name: string) =>
    tensors.push({ name, shape: [config.dModel], data: new Float32Array(config.dModel).fill(1) });
  const { dModel, dKv, dFf, numHeads } = config;
  const inner = numHeads * dKv;
  add('shared.weight', [config.vocabSize, dModel], 1);
  for (const stack of ['encoder', 'decoder'] as const) {
    const layers = stack === 'encoder' ? config.numLayers : config.numDecoderLayers;
    for (let i = 0; i < layers; i++) {
      const prefix = `${stack}.block.${i}.layer`;
      const attention = stack === 'encoder' ? ['0.SelfAttention'] : ['0.SelfAttention', '1.EncDecAttention'];
      for (const name of attention) {
        add(`${prefix}.${name}.q.weight`, [inner, dModel], (dModel * dKv) ** -0.5);
        add(`${prefix}.${name}.k.weight`, [inner, dModel], dModel ** -0.5);
        add(`${prefix}.${name}.v.weight`, [inner, dModel], dModel ** -0.5);
        add(`${prefix}.${name}.o.weight`, [dModel, inner], inner ** -0.5);
        norm(`${prefix}.${name.split('.')[0]}.layer_norm.weight`);
      }
      if (i === 0) {
        add(
          `${prefix}.0.SelfAttention.relative_attention_bias.weight`,
          [config.relativeAttentionNumBuckets, numHeads],
          dModel ** -0.5,
        );
      }
      const ff = `${prefix}.${attention.length}`;
      for (const wi of config.isGatedAct ? ['wi_0', 'wi_1'] : ['wi'])
        add(`${ff}.DenseReluDense.${wi}.weight`, [dFf, dModel], dModel ** -0.5);
      add(`${ff}.DenseReluDense.wo.weight`, [dModel, dFf], dFf ** -0.5);
      norm(`${ff}.layer_norm.weight`);
    }
    norm(`${stack}.final_layer_norm.weight`);
  }
  if (!config.tieWordEmbeddings) add('lm_head.weight', [config.vocabSize, dModel], dModel ** -0.5);
  return tensors;
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
