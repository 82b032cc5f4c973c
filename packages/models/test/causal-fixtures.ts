/** The decoder-only reference checkpoints of `../shared/fixtures/models` (README section 8). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedFile } from '@flan-ts/test-support';
import * as tf from '@tensorflow/tfjs-core';
import { parseSafetensors, readFloat32, type NamedFloat32Tensor } from '../src/checkpoint/safetensors';
import { parseCausalConfig, type CausalLMConfig } from '../src/causal/config';
import { CausalLMModel } from '../src/causal/model';

export type CausalFixtureName = 'llama-tiny' | 'qwen3-tiny';
export const CAUSAL_FIXTURES: CausalFixtureName[] = ['llama-tiny', 'qwen3-tiny'];

interface Top5 {
  ids: number[][];
  logits: number[][];
}

export interface CausalReference {
  inputs: {
    input_ids: number[][];
    attention_mask: number[][];
    labels: number[][];
    left_padded: { input_ids: number[][]; attention_mask: number[][]; position_ids: number[][] };
  };
  rope_inv_freq: number[];
  logits: { argmax: number[][] };
  hidden_states: { count: number };
  loss: number;
  per_token_loss: { data: number[][] };
  num_loss_tokens: number;
  grad_norms: Record<string, number>;
  grads: { tensors: Record<string, string> };
  adamw?: {
    hyperparameters: { lr: number; betas: [number, number]; eps: number; weight_decay: number };
    loss_after_step: number;
    param_norms_after_step: Record<string, number>;
    'model.norm.weight_after_step': number[];
  };
  greedy_generation: {
    prompts: number[][];
    max_new_tokens: number;
    new_tokens_one_by_one: number[][];
    sequences_one_by_one: number[][];
    batched_left_padded: { input_ids: number[][]; sequences: number[][]; new_tokens: number[][] };
    step_top5_one_by_one: Top5[];
    step_top5_batched: Top5[];
  };
  rank_classification: {
    prompt: number[];
    candidates: number[][];
    token_logprobs: number[][];
    sum_logprob: number[];
    argmax_sum_logprob: number;
  };
  lora?: {
    scaling: number;
    loss: number;
    per_token_loss: number[][];
    grad_norms: Record<string, number>;
    logits: { argmax: number[][] };
  };
}

export interface CausalFixture {
  dir: string;
  config: CausalLMConfig;
  tensors: Map<string, NamedFloat32Tensor>;
  reference: CausalReference;
  expected: Map<string, NamedFloat32Tensor>;
}

export function causalFixtureDir(name: CausalFixtureName): string | undefined {
  const ref = sharedFile(`fixtures/models/${name}/reference.json`);
  return ref === undefined ? undefined : join(ref, '..');
}

export function readSafetensorsFile(path: string): Map<string, NamedFloat32Tensor> {
  const file = parseSafetensors(new Uint8Array(readFileSync(path)), path);
  const out = new Map<string, NamedFloat32Tensor>();
  for (const [name, entry] of file.tensors)
    out.set(name, { name, shape: entry.shape, data: readFloat32(file, name) });
  return out;
}

const cache = new Map<CausalFixtureName, CausalFixture>();

export function loadCausalFixture(name: CausalFixtureName): CausalFixture {
  const hit = cache.get(name);
  if (hit) return hit;
  const dir = causalFixtureDir(name);
  if (dir === undefined) throw new Error(`fixture ${name} is missing`);
  const configPath = join(dir, 'config.json');
  const fixture: CausalFixture = {
    dir,
    config: parseCausalConfig(JSON.parse(readFileSync(configPath, 'utf8')), configPath),
    tensors: readSafetensorsFile(join(dir, 'model.safetensors')),
    reference: JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as CausalReference,
    expected: readSafetensorsFile(join(dir, 'reference_tensors.safetensors')),
  };
  cache.set(name, fixture);
  return fixture;
}

export function loadCausalModel(name: CausalFixtureName): CausalLMModel {
  const f = loadCausalFixture(name);
  return CausalLMModel.fromTensors(f.config, f.tensors);
}

/** The right-padded reference batch as tensors (caller disposes). */
export function causalBatch(ref: CausalReference) {
  return {
    inputIds: tf.tensor2d(ref.inputs.input_ids, undefined, 'int32'),
    attentionMask: tf.tensor2d(ref.inputs.attention_mask, undefined, 'int32'),
    labels: tf.tensor2d(ref.inputs.labels, undefined, 'int32'),
  };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function l2(data: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i]! * data[i]!;
  return Math.sqrt(s);
}
