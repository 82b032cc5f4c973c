/**
 * Writes a checkpoint as `save_pretrained` does, so `transformers` (and {@link loadCheckpoint}) load
 * it: `model.safetensors`, `config.json`, `generation_config.json`.
 *
 * Safetensors cannot alias tensors, so Hugging Face drops every name in T5's `_tied_weights_keys`
 * that shares storage with another (`encoder/decoder.embed_tokens.weight`, and `lm_head.weight` when
 * the embeddings are tied) and re-ties them on load. We store the same names.
 */
import { copyFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CheckpointError } from '../errors';
import type { GenerationConfigJson } from '../load';
import {
  encodeSafetensorsHeader,
  encodeTensorData,
  type NamedFloat32Tensor,
  type SafetensorsDType,
} from '../safetensors';
import { expectedT5Tensors, T5_ALIASES } from '../../t5/parameters';
import { toHuggingFaceConfig, type T5Config } from '../../t5/config';
import { writeAll, writeFileAtomic } from './atomic-file';

export interface SaveCheckpointInput {
  config: T5Config;
  /** Parameters by Hugging Face name (a map, or a list such as `T5Model.toTensors()` returns). */
  tensors: ReadonlyMap<string, NamedFloat32Tensor> | Iterable<NamedFloat32Tensor>;
  /** Written as given; by default the token ids of the config, as Hugging Face derives them. */
  generationConfig?: GenerationConfigJson;
}

export interface SaveCheckpointOptions {
  /** Stored dtype (default F32; F16 and BF16 round to nearest even). */
  dtype?: SafetensorsDType;
  /** Files copied into the directory as they are, e.g. the tokenizer files of the loaded checkpoint. */
  copyFiles?: readonly string[];
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}

/**
 * Keys Python writes as floats. JSON.stringify writes 1.0 as `1`, and transformers 5 validates
 * config fields by type (an int `initializer_factor` is rejected), so these keep a decimal point.
 */
const FLOAT_KEYS = new Set([
  'classifier_dropout',
  'dropout_rate',
  'initializer_factor',
  'layer_norm_epsilon',
  'diversity_penalty',
  'encoder_repetition_penalty',
  'epsilon_cutoff',
  'eta_cutoff',
  'length_penalty',
  'repetition_penalty',
  'temperature',
  'top_p',
  'typical_p',
]);
const FLOAT_MARK = '\u0000float:';

/** Hugging Face's JSON files: keys sorted, two-space indent, float fields as floats, trailing newline. */
function huggingFaceJson(value: unknown): Uint8Array {
  const text = JSON.stringify(
    sortKeys(value),
    (key, v) => (FLOAT_KEYS.has(key) && Number.isInteger(v) ? `${FLOAT_MARK}${v}.0` : v),
    2,
  ).replace(/"\\u0000float:(-?\d+\.0)"/g, '$1');
  return new TextEncoder().encode(`${text}\n`);
}

/** The tensors to store, in the names Hugging Face stores, checked against the config. */
export function tensorsToSave(
  config: T5Config,
  input: SaveCheckpointInput['tensors'],
  target = 'model.safetensors',
): NamedFloat32Tensor[] {
  const byName = new Map<string, NamedFloat32Tensor>();
  for (const t of input instanceof Map ? input.values() : (input as Iterable<NamedFloat32Tensor>)) {
    if (byName.has(t.name)) throw new CheckpointError('given twice', target, t.name);
    byName.set(t.name, t);
  }
  const expected = expectedT5Tensors(config);
  const known = new Set(expected.map((t) => t.name));
  for (const name of byName.keys()) {
    if (!known.has(name) && !T5_ALIASES.has(name)) {
      throw new CheckpointError('is not a parameter of the T5 this config describes', target, name);
    }
  }
  const out: NamedFloat32Tensor[] = [];
  for (const { name, shape } of expected) {
    const tensor = byName.get(name);
    if (name === 'lm_head.weight' && config.tieWordEmbeddings) {
      const shared = byName.get('shared.weight')!;
      if (
        tensor &&
        tensor.data !== shared.data &&
        !tensor.data.every((v, i) => Object.is(v, shared.data[i]))
      ) {
        throw new CheckpointError('differs from shared.weight, but the config ties them', target, name);
      }
      continue;
    }
    if (!tensor) throw new CheckpointError('missing tensor', target, name);
    if (tensor.shape.length !== shape.length || tensor.shape.some((d, i) => d !== shape[i])) {
      throw new CheckpointError(
        `shape ${JSON.stringify(tensor.shape)} disagrees with the config, which implies ${JSON.stringify(shape)}`,
        target,
        name,
      );
    }
    out.push(tensor);
  }
  return out;
}

/**
 * Saves a T5 checkpoint into `directory` (created if needed). Each file is written under a
 * temporary name and renamed into place, so an interrupted save never leaves a half-written file.
 * Tensor data is streamed to disk: no second copy of the weights is built.
 *
 * @returns the paths written.
 */
export async function saveCheckpoint(
  directory: string,
  input: SaveCheckpointInput,
  options: SaveCheckpointOptions = {},
): Promise<string[]> {
  const dtype = options.dtype ?? 'F32';
  const weightsPath = join(directory, 'model.safetensors');
  const tensors = tensorsToSave(input.config, input.tensors, weightsPath);
  const { header, ordered } = encodeSafetensorsHeader(tensors, { format: 'pt' }, { dtype });
  await writeFileAtomic(weightsPath, async (handle) => {
    await writeAll(handle, header);
    for (const t of ordered) await writeAll(handle, encodeTensorData(t.data, dtype));
  });

  const hfConfig = toHuggingFaceConfig(input.config);
  if (dtype !== 'F32') hfConfig.torch_dtype = dtype === 'F16' ? 'float16' : 'bfloat16';
  const configPath = join(directory, 'config.json');
  await writeFileAtomic(configPath, (handle) => writeAll(handle, huggingFaceJson(hfConfig)));

  const generation = input.generationConfig ?? {
    decoder_start_token_id: input.config.decoderStartTokenId,
    eos_token_id: input.config.eosTokenId,
    pad_token_id: input.config.padTokenId,
  };
  const generationPath = join(directory, 'generation_config.json');
  await writeFileAtomic(generationPath, (handle) => writeAll(handle, huggingFaceJson(generation)));

  const written = [weightsPath, configPath, generationPath];
  for (const file of options.copyFiles ?? []) {
    const target = join(directory, basename(file));
    if (written.includes(target)) throw new CheckpointError('would overwrite a file the save writes', file);
    try {
      await copyFile(file, target);
    } catch (error) {
      throw new CheckpointError(`cannot copy: ${(error as Error).message}`, file);
    }
    written.push(target);
  }
  return written;
}
