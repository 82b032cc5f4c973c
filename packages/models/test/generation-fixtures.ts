/** The tiny reference checkpoints (../shared/fixtures/models) as T5Models, for generation and scoring parity. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sharedFile } from '@flan-ts/test-support';
import { parseSafetensors, readFloat32, type NamedFloat32Tensor } from '../src/checkpoint/safetensors';
import { parseT5Config } from '../src/t5/config';
import { T5Model } from '../src/t5/model';

export type FixtureName = 't5-tiny' | 'flan-t5-tiny';
export const FIXTURES: FixtureName[] = ['t5-tiny', 'flan-t5-tiny'];

export interface GenerationReference {
  inputs: { input_ids: number[][]; attention_mask: number[][] };
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
}

/** The fixture's directory, or undefined when ../shared is absent locally (throws in CI). */
export function fixtureDir(name: FixtureName): string | undefined {
  const path = sharedFile(`fixtures/models/${name}/reference.json`);
  return path === undefined ? undefined : dirname(path);
}

export function loadReference(name: FixtureName): GenerationReference {
  return JSON.parse(readFileSync(join(fixtureDir(name)!, 'reference.json'), 'utf8')) as GenerationReference;
}

export function loadFixtureModel(name: FixtureName): T5Model {
  const dir = fixtureDir(name)!;
  const config = parseT5Config(
    JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')),
    join(dir, 'config.json'),
  );
  const path = join(dir, 'model.safetensors');
  const file = parseSafetensors(new Uint8Array(readFileSync(path)), path);
  const tensors = new Map<string, NamedFloat32Tensor>();
  for (const [tensorName, entry] of file.tensors) {
    tensors.set(tensorName, { name: tensorName, shape: entry.shape, data: readFloat32(file, tensorName) });
  }
  return T5Model.fromTensors(config, tensors);
}

/** The reference prompts without their right padding. */
export function unpaddedPrompts(ref: GenerationReference): number[][] {
  return ref.inputs.input_ids.map((row, r) => row.filter((_, c) => ref.inputs.attention_mask[r]![c] === 1));
}
