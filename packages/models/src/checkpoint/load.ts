/**
 * Reads a Hugging Face T5 checkpoint from any {@link CheckpointStore}: config, optional generation
 * config, the weights (one `model.safetensors` or shards listed in `model.safetensors.index.json`),
 * checked tensor by tensor against what the config implies, and where the tokenizer files are.
 */
import { CheckpointError } from './errors';
import type { NamedFloat32Tensor, SafetensorsEntry } from './safetensors';
import type { CheckpointStore } from './store';
import { openWeights } from './weights';
import { expectedT5Tensors, T5_ALIASES, T5_IGNORED } from '../t5/parameters';
import { parseT5Config, type T5Config } from '../t5/config';

export const CONFIG_FILE = 'config.json';
export const GENERATION_CONFIG_FILE = 'generation_config.json';
export { WEIGHTS_FILE, WEIGHTS_INDEX_FILE } from './weights';

/** Architectures whose weights are a T5ForConditionalGeneration's (T5WithLMHeadModel is its old name). */
const SUPPORTED_ARCHITECTURES = ['T5ForConditionalGeneration', 'T5WithLMHeadModel'];

/** The tokenizer files a T5 checkpoint may ship, by the key they have in {@link CheckpointFiles}. */
export const TOKENIZER_FILES = {
  spieceModel: 'spiece.model',
  tokenizerJson: 'tokenizer.json',
  tokenizerConfig: 'tokenizer_config.json',
  specialTokensMap: 'special_tokens_map.json',
} as const;

/** Paths (local loads and the Node cache) or URLs of the checkpoint's files. */
export interface CheckpointFiles {
  config: string;
  generationConfig?: string;
  /** `model.safetensors`, or the index followed by its shards. */
  weights: string[];
  /** The tokenizer files present, for `@flan-ts/tokenizer`. */
  tokenizer: { -readonly [K in keyof typeof TOKENIZER_FILES]?: string };
}

/** `generation_config.json` as Hugging Face writes it (snake_case keys, kept as read). */
export type GenerationConfigJson = Record<string, unknown>;

export interface LoadedCheckpoint {
  config: T5Config;
  /** `generation_config.json`, or `undefined` when the checkpoint has none. */
  generationConfig: GenerationConfigJson | undefined;
  /**
   * Every parameter by Hugging Face name, in network order. A tied model (tieWordEmbeddings) has no
   * `lm_head.weight` here: it is `shared.weight`, and a stored copy is ignored, as Hugging Face does.
   */
  tensors: Map<string, NamedFloat32Tensor>;
  files: CheckpointFiles;
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(`is not valid JSON: ${(error as Error).message}`, source);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Parses `config.json`, rejecting architectures other than T5ForConditionalGeneration. */
export function parseCheckpointConfig(json: unknown, source: string): T5Config {
  if (isObject(json) && json.architectures !== undefined) {
    const archs = json.architectures;
    if (!Array.isArray(archs) || !archs.some((a) => SUPPORTED_ARCHITECTURES.includes(a as string))) {
      throw new CheckpointError(
        `unsupported architectures ${JSON.stringify(archs)} (supported: ${SUPPORTED_ARCHITECTURES.join(', ')})`,
        source,
      );
    }
  }
  return parseT5Config(json, source);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Decides which stored tensor provides each parameter, checking names and shapes against the config
 * before any data is read. Unknown tensors are an error, not ignored: they mean the file describes
 * another network than the config (more layers, another feed-forward), and dropping weights
 * silently would hide that.
 */
export function planT5Tensors(
  config: T5Config,
  entries: ReadonlyMap<string, { entry: SafetensorsEntry; source: string }>,
  weightsSource: string,
): Map<string, { entry: SafetensorsEntry; source: string }> {
  const plan = new Map<string, { entry: SafetensorsEntry; source: string }>();
  const expected = expectedT5Tensors(config);
  const known = new Set(expected.map((t) => t.name));
  const checkShape = (
    name: string,
    found: { entry: SafetensorsEntry; source: string },
    shape: readonly number[],
  ) => {
    if (!sameShape(found.entry.shape, shape)) {
      throw new CheckpointError(
        `shape ${JSON.stringify(found.entry.shape)} disagrees with the config, which implies ${JSON.stringify(shape)}`,
        found.source,
        name,
      );
    }
  };
  for (const tensor of expected) {
    let found = entries.get(tensor.name);
    if (!found && tensor.name === 'shared.weight') {
      // Some exports store the embedding only under a stack's embed_tokens name.
      for (const [alias, target] of T5_ALIASES) if (target === tensor.name) found ??= entries.get(alias);
    }
    if (!found) {
      if (tensor.required) throw new CheckpointError('missing tensor', weightsSource, tensor.name);
      continue;
    }
    checkShape(tensor.name, found, tensor.shape);
    if (tensor.name === 'lm_head.weight' && config.tieWordEmbeddings) continue;
    plan.set(tensor.name, found);
  }
  for (const [name, found] of entries) {
    if (known.has(name) || T5_IGNORED.has(name)) continue;
    const target = T5_ALIASES.get(name);
    if (target !== undefined) {
      checkShape(name, found, expected.find((t) => t.name === target)!.shape);
      continue;
    }
    throw new CheckpointError(
      `unexpected tensor: not a parameter of the T5 this config describes ` +
        `(${config.numLayers}+${config.numDecoderLayers} layers, ${config.isGatedAct ? 'gated' : 'plain'} feed-forward)`,
      found.source,
      name,
    );
  }
  return plan;
}

/** Loads a checkpoint from `store`; see {@link LoadedCheckpoint}. */
export async function loadFromStore(store: CheckpointStore): Promise<LoadedCheckpoint> {
  const configSource = store.describe(CONFIG_FILE);
  const configText = await store.readText(CONFIG_FILE);
  if (configText === undefined) throw new CheckpointError('not found', configSource);
  const config = parseCheckpointConfig(parseJson(configText, configSource), configSource);

  const generationSource = store.describe(GENERATION_CONFIG_FILE);
  const generationText = await store.readText(GENERATION_CONFIG_FILE);
  let generationConfig: GenerationConfigJson | undefined;
  if (generationText !== undefined) {
    const json = parseJson(generationText, generationSource);
    if (!isObject(json)) throw new CheckpointError('is not a JSON object', generationSource);
    generationConfig = json;
  }

  const weights = await openWeights(store);
  const tensors = new Map<string, NamedFloat32Tensor>();
  try {
    const stored = new Map<string, { entry: SafetensorsEntry; source: string }>();
    for (const [name, { reader, entry }] of weights.entries)
      stored.set(name, { entry, source: reader.source });
    const plan = planT5Tensors(config, stored, weights.source);
    for (const [name, { entry }] of plan) {
      const { reader } = weights.entries.get(entry.name)!;
      tensors.set(name, { name, shape: entry.shape, data: await reader.read(entry) });
    }
  } finally {
    await Promise.all(weights.readers.map((r) => r.close()));
  }

  const tokenizer: CheckpointFiles['tokenizer'] = {};
  for (const [key, file] of Object.entries(TOKENIZER_FILES) as [keyof typeof TOKENIZER_FILES, string][]) {
    const where = await store.locate(file);
    if (where !== undefined) tokenizer[key] = where;
  }
  // Described again now: a cache store knows the local path only once the file is fetched.
  const files: CheckpointFiles = { config: store.describe(CONFIG_FILE), weights: weights.files, tokenizer };
  if (generationConfig) files.generationConfig = store.describe(GENERATION_CONFIG_FILE);
  return { config, generationConfig, tensors, files };
}
