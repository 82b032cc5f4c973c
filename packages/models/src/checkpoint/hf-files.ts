/**
 * A T5 checkpoint as the bytes of its Hugging Face files (`model.safetensors`, `config.json`,
 * `generation_config.json`), built in memory: what a browser downloads or puts in OPFS, and what
 * the Node saver streams to disk file by file.
 */
import { CheckpointError } from './errors';
import type { GenerationConfigJson } from './load';
import { serializeSafetensors, type NamedFloat32Tensor, type SafetensorsDType } from './safetensors';
import { expectedT5Tensors, T5_ALIASES } from '../t5/parameters';
import { toHuggingFaceConfig, type T5Config } from '../t5/config';

export interface SaveCheckpointInput {
  config: T5Config;
  /** Parameters by Hugging Face name (a map, or a list such as `T5Model.toTensors()` returns). */
  tensors: ReadonlyMap<string, NamedFloat32Tensor> | Iterable<NamedFloat32Tensor>;
  /** Written as given; by default the token ids of the config, as Hugging Face derives them. */
  generationConfig?: GenerationConfigJson;
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
  // decoder-only configs
  'rope_theta',
  'rms_norm_eps',
  'factor',
  'low_freq_factor',
  'high_freq_factor',
  'attention_dropout',
  // T5 configs and generation configs
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
export function huggingFaceJson(value: unknown): Uint8Array {
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

/** `config.json` as Hugging Face writes it for `input` (stored dtype recorded as `torch_dtype`). */
export function configJson(config: T5Config, dtype: SafetensorsDType = 'F32'): Uint8Array {
  const hfConfig = toHuggingFaceConfig(config);
  if (dtype !== 'F32') hfConfig.torch_dtype = dtype === 'F16' ? 'float16' : 'bfloat16';
  return huggingFaceJson(hfConfig);
}

/** `generation_config.json`: as given, else the config's token ids, as Hugging Face derives them. */
export function generationConfigJson(input: SaveCheckpointInput): Uint8Array {
  return huggingFaceJson(
    input.generationConfig ?? {
      decoder_start_token_id: input.config.decoderStartTokenId,
      eos_token_id: input.config.eosTokenId,
      pad_token_id: input.config.padTokenId,
    },
  );
}

/**
 * The checkpoint's files by name, as `save_pretrained` writes them (the same bytes the Node saver
 * writes). Holds a second copy of the weights in memory; Node's `saveCheckpoint` streams instead.
 */
export function checkpointToFiles(
  input: SaveCheckpointInput,
  options: { dtype?: SafetensorsDType } = {},
): Map<string, Uint8Array> {
  const dtype = options.dtype ?? 'F32';
  const tensors = tensorsToSave(input.config, input.tensors);
  return new Map([
    ['model.safetensors', serializeSafetensors(tensors, { format: 'pt' }, { dtype })],
    ['config.json', configJson(input.config, dtype)],
    ['generation_config.json', generationConfigJson(input)],
  ]);
}
