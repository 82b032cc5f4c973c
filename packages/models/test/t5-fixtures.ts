/** Loads the tiny reference checkpoints of `../shared/fixtures/models` for the compute tests. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isCI, sharedFile } from '@flan-ts/test-support';
import * as tf from '@tensorflow/tfjs-core';
import { parseSafetensors, readFloat32, type NamedFloat32Tensor } from '../src/checkpoint/safetensors';
import { parseT5Config, type T5Config } from '../src/t5/config';
import { T5Model } from '../src/t5/model';

export type FixtureName = 't5-tiny' | 'flan-t5-tiny';
export const FIXTURES: FixtureName[] = ['t5-tiny', 'flan-t5-tiny'];

/**
 * Whether the WebGPU tests run: wherever SwiftShader (Debian's chromium) is installed, and always under
 * CI, where an adapter that fails to start is a failure, not a skip. vitest.config.ts points Dawn at it.
 */
export const webGpuTestable = isCI || existsSync('/usr/lib/chromium/vk_swiftshader_icd.json');

export interface Reference {
  inputs: {
    input_ids: number[][];
    attention_mask: number[][];
    decoder_input_ids: number[][];
    labels: number[][];
  };
  encoder_last_hidden_state: { shape: number[] };
  logits: { argmax: number[][]; first8_of_each_position_batch0: number[][]; sum: number; sum_abs: number };
  loss: number;
  per_token_loss: number[][];
  num_loss_tokens: number;
  grad_norms: Record<string, number>;
  grads: Record<string, { shape: number[]; data: number[] | number[][] }>;
  greedy_generation: {
    max_new_tokens: number;
    sequences: number[][];
    new_tokens: number[][];
    finished_with_eos: boolean[];
  };
  rank_classification: {
    input_ids: number[];
    candidate_ids: number[][];
    token_logprobs: number[][];
    sum_logprob: number[];
    argmax_sum_logprob: number;
  };
  relative_position_buckets: {
    relative_position: number[];
    bidirectional: number[];
    unidirectional: number[];
  };
}

export interface Fixture {
  dir: string;
  config: T5Config;
  tensors: Map<string, NamedFloat32Tensor>;
  reference: Reference;
  /** `encoder_last_hidden_state` and `logits` from reference_tensors.safetensors. */
  expected: Map<string, NamedFloat32Tensor>;
}

/** The fixture directory, or undefined when ../shared is absent (sharedFile throws in CI). */
export function fixtureDir(name: FixtureName): string | undefined {
  return sharedFile(`fixtures/models/${name}/reference.json`) === undefined
    ? undefined
    : join(sharedFile(`fixtures/models/${name}/reference.json`)!, '..');
}

function readTensors(path: string): Map<string, NamedFloat32Tensor> {
  const file = parseSafetensors(new Uint8Array(readFileSync(path)), path);
  const out = new Map<string, NamedFloat32Tensor>();
  for (const [name, entry] of file.tensors) {
    out.set(name, { name, shape: entry.shape, data: readFloat32(file, name) });
  }
  return out;
}

const cache = new Map<FixtureName, Fixture>();

export function loadFixture(name: FixtureName): Fixture {
  const hit = cache.get(name);
  if (hit) return hit;
  const dir = fixtureDir(name);
  if (dir === undefined) throw new Error(`fixture ${name} is missing`);
  const fixture: Fixture = {
    dir,
    config: parseT5Config(
      JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')),
      join(dir, 'config.json'),
    ),
    tensors: readTensors(join(dir, 'model.safetensors')),
    reference: JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as Reference,
    expected: readTensors(join(dir, 'reference_tensors.safetensors')),
  };
  cache.set(name, fixture);
  return fixture;
}

export function loadModel(name: FixtureName): T5Model {
  const f = loadFixture(name);
  return T5Model.fromTensors(f.config, f.tensors);
}

/** The reference batch as tensors (caller disposes). */
export function referenceBatch(ref: Reference) {
  return {
    inputIds: tf.tensor2d(ref.inputs.input_ids, undefined, 'int32'),
    attentionMask: tf.tensor2d(ref.inputs.attention_mask, undefined, 'int32'),
    decoderInputIds: tf.tensor2d(ref.inputs.decoder_input_ids, undefined, 'int32'),
    labels: tf.tensor2d(ref.inputs.labels, undefined, 'int32'),
  };
}

/** Bit-identical (Buffer.equals: vitest's deep equality is far too slow on millions of floats). */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** The reference prompts without their right padding. */
export function unpaddedPrompts(ref: Reference): number[][] {
  return ref.inputs.input_ids.map((row, r) => row.filter((_, c) => ref.inputs.attention_mask[r]![c] === 1));
}
