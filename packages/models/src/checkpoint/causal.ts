/**
 * Reads a decoder-only Hugging Face checkpoint (Llama, Qwen3, Mistral, Qwen2) from any
 * {@link CheckpointStore}: config, optional generation config, the weights (single or sharded;
 * F32/F16/BF16), checked tensor by tensor against the config before any data is read.
 */
import { parseCausalConfig, type CausalLMConfig } from '../causal/config';
import { expectedCausalTensors } from '../causal/parameters';
import { CheckpointError } from './errors';
import type { GenerationConfigJson } from './load';
import type { NamedFloat32Tensor } from './safetensors';
import type { CheckpointStore } from './store';
import { openWeights } from './weights';

/** The tokenizer files a decoder-only checkpoint ships (byte-level BPE). */
export const CAUSAL_TOKENIZER_FILES = {
  tokenizerJson: 'tokenizer.json',
  tokenizerConfig: 'tokenizer_config.json',
  specialTokensMap: 'special_tokens_map.json',
} as const;

export interface CausalCheckpointFiles {
  config: string;
  generationConfig?: string;
  weights: string[];
  tokenizer: { -readonly [K in keyof typeof CAUSAL_TOKENIZER_FILES]?: string };
}

export interface LoadedCausalCheckpoint {
  architecture: 'causal';
  config: CausalLMConfig;
  generationConfig: GenerationConfigJson | undefined;
  /** Every parameter by Hugging Face name; a tied model has no `lm_head.weight` (a stored copy is ignored). */
  tensors: Map<string, NamedFloat32Tensor>;
  files: CausalCheckpointFiles;
}

/** Buffers some exports store that are not parameters (rotary frequencies are recomputed from the config). */
const IGNORED = /(^|\.)rotary_emb\.inv_freq$/;

export async function readJsonFile(store: CheckpointStore, file: string): Promise<unknown | undefined> {
  const text = await store.readText(file);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(`is not valid JSON: ${(error as Error).message}`, store.describe(file));
  }
}

/** Loads a decoder-only checkpoint from `store`; `CheckpointError` names the file (and tensor) at fault. */
export async function loadCausalFromStore(store: CheckpointStore): Promise<LoadedCausalCheckpoint> {
  const configJson = await readJsonFile(store, 'config.json');
  if (configJson === undefined) throw new CheckpointError('not found', store.describe('config.json'));
  const config = parseCausalConfig(configJson, store.describe('config.json'));
  const generation = await readJsonFile(store, 'generation_config.json');
  if (
    generation !== undefined &&
    (generation === null || typeof generation !== 'object' || Array.isArray(generation))
  ) {
    throw new CheckpointError('is not a JSON object', store.describe('generation_config.json'));
  }
  const weights = await openWeights(store);
  const tensors = new Map<string, NamedFloat32Tensor>();
  try {
    const expected = expectedCausalTensors(config);
    const known = new Set(expected.map((t) => t.name));
    for (const [name, { reader }] of weights.entries) {
      if (!known.has(name) && !IGNORED.test(name)) {
        throw new CheckpointError(
          `unexpected tensor: not a parameter of the ${config.modelType} this config describes (${config.numLayers} layers)`,
          reader.source,
          name,
        );
      }
    }
    for (const { name, shape, required } of expected) {
      const found = weights.entries.get(name);
      if (found === undefined) {
        if (required) throw new CheckpointError('missing tensor', weights.source, name);
        continue;
      }
      const stored = found.entry.shape;
      if (stored.length !== shape.length || stored.some((d, i) => d !== shape[i])) {
        throw new CheckpointError(
          `shape ${JSON.stringify(stored)} disagrees with the config, which implies ${JSON.stringify(shape)}`,
          found.reader.source,
          name,
        );
      }
    }
    // Not required: lm_head.weight of a tied model, whose head is embed_tokens.
    for (const { name, required } of expected) {
      if (!required) continue;
      const { reader, entry } = weights.entries.get(name)!;
      tensors.set(name, { name, shape: entry.shape, data: await reader.read(entry) });
    }
  } finally {
    await weights.close();
  }
  const tokenizer: CausalCheckpointFiles['tokenizer'] = {};
  for (const [key, file] of Object.entries(CAUSAL_TOKENIZER_FILES) as [
    keyof typeof CAUSAL_TOKENIZER_FILES,
    string,
  ][]) {
    const where = await store.locate(file);
    if (where !== undefined) tokenizer[key] = where;
  }
  const files: CausalCheckpointFiles = {
    config: store.describe('config.json'),
    weights: weights.files,
    tokenizer,
  };
  if (generation !== undefined) files.generationConfig = store.describe('generation_config.json');
  return {
    architecture: 'causal',
    config,
    generationConfig: generation as GenerationConfigJson | undefined,
    tensors,
    files,
  };
}
