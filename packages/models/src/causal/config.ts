/**
 * The Hugging Face `config.json` of a decoder-only model (`LlamaForCausalLM`, `Qwen3ForCausalLM`,
 * `MistralForCausalLM`, `Qwen2ForCausalLM`), as the few numbers and switches the network needs.
 * The four families share one architecture and differ only by these switches: Qwen3 has per-head
 * q/k norms, Qwen2 has q/k/v biases, Llama may have biases everywhere (`attention_bias`, `mlp_bias`).
 */
import { CheckpointError } from '../checkpoint/errors';

/** The `model_type`s this package runs. */
export const CAUSAL_MODEL_TYPES = ['llama', 'qwen3', 'mistral', 'qwen2'] as const;
export type CausalModelType = (typeof CAUSAL_MODEL_TYPES)[number];

/** `rope_scaling` as transformers' `ROPE_INIT_FUNCTIONS` read it (types that change `inv_freq` only). */
export type RopeScaling =
  | { type: 'linear'; factor: number }
  | {
      type: 'llama3';
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositionEmbeddings: number;
    };

export interface CausalLMConfig {
  modelType: CausalModelType;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKeyValueHeads: number;
  /** Per-head width: `head_dim` when the config gives it (Qwen3), else hidden / heads. */
  headDim: number;
  ropeTheta: number;
  ropeScaling: RopeScaling | undefined;
  rmsNormEps: number;
  maxPositionEmbeddings: number;
  tieWordEmbeddings: boolean;
  /** Biases on q, k and v (Qwen2 always; Llama/Qwen3 with `attention_bias`). */
  qkvBias: boolean;
  /** Bias on o_proj (Llama/Qwen3 with `attention_bias`; never Qwen2). */
  outputBias: boolean;
  /** Biases on gate/up/down (Llama with `mlp_bias`). */
  mlpBias: boolean;
  /** Qwen3's RMSNorm over each head's features of q and k, before rotary. */
  qkNorm: boolean;
  bosTokenId: number | undefined;
  /** Every id that ends generation (`eos_token_id` may be a list, as Llama 3's). */
  eosTokenIds: number[];
  padTokenId: number | undefined;
  /**
   * The embedding's `padding_idx`: `config.json`'s `pad_token_id` (never generation_config's), as
   * HF's `nn.Embedding(vocab, hidden, padding_idx)`: the lookup sends no gradient to that row.
   */
  paddingIdx?: number;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Parses a decoder-only `config.json`. Throws `CheckpointError` naming the file and key for a
 * missing or invalid field, an unsupported `model_type`, activation, sliding window or rope type.
 */
export function parseCausalConfig(json: unknown, source = 'config.json'): CausalLMConfig {
  if (!isObject(json)) throw new CheckpointError('is not a JSON object', source);
  const fail = (key: string, message: string): never => {
    throw new CheckpointError(`"${key}" ${message}`, source);
  };
  const int = (key: string, fallback?: number): number => {
    const v = json[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      fail(key, `must be a positive integer, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const num = (key: string, fallback: number): number => {
    const v = json[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      fail(key, `must be a positive number, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const v = json[key] ?? fallback;
    if (typeof v !== 'boolean') fail(key, `must be true or false, got ${JSON.stringify(v)}`);
    return v as boolean;
  };
  const tokenId = (key: string): number | undefined => {
    const v = json[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
      fail(key, `must be a token id or null, got ${JSON.stringify(v)}`);
    return v as number;
  };

  const modelType = json.model_type;
  if (!CAUSAL_MODEL_TYPES.includes(modelType as CausalModelType)) {
    fail('model_type', `is ${JSON.stringify(modelType)}; supported: ${CAUSAL_MODEL_TYPES.join(', ')}`);
  }
  const type = modelType as CausalModelType;
  const act = json.hidden_act ?? 'silu';
  if (act !== 'silu') fail('hidden_act', `is ${JSON.stringify(act)}; only "silu" is supported`);
  if (json.use_sliding_window === true || (type === 'mistral' && json.sliding_window != null)) {
    fail(
      type === 'mistral' ? 'sliding_window' : 'use_sliding_window',
      'is set; sliding-window attention is not supported',
    );
  }
  if (json.pretraining_tp !== undefined && json.pretraining_tp !== 1) {
    fail('pretraining_tp', `must be 1, got ${JSON.stringify(json.pretraining_tp)}`);
  }
  const hiddenSize = int('hidden_size');
  const numHeads = int('num_attention_heads');
  const numKeyValueHeads = int('num_key_value_heads', numHeads);
  if (numHeads % numKeyValueHeads !== 0) {
    fail('num_key_value_heads', `(${numKeyValueHeads}) must divide num_attention_heads (${numHeads})`);
  }
  const headDim = json.head_dim == null ? hiddenSize / numHeads : int('head_dim');
  if (!Number.isInteger(headDim) || headDim % 2 !== 0)
    fail('head_dim', `must be an even integer, got ${headDim}`);
  const attentionBias = bool('attention_bias', false);

  let eosTokenIds: number[] = [];
  const eos = json.eos_token_id;
  if (Array.isArray(eos)) {
    eosTokenIds = eos.map((v, i) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
        fail(`eos_token_id[${i}]`, 'must be a token id');
      return v as number;
    });
  } else {
    const one = tokenId('eos_token_id');
    if (one !== undefined) eosTokenIds = [one];
  }

  const vocabSize = int('vocab_size');
  const pad = tokenId('pad_token_id');
  return {
    modelType: type,
    vocabSize,
    hiddenSize,
    intermediateSize: int('intermediate_size'),
    numLayers: int('num_hidden_layers'),
    numHeads,
    numKeyValueHeads,
    headDim,
    ropeTheta: num('rope_theta', 10000),
    ropeScaling: parseRopeScaling(json.rope_scaling, source),
    rmsNormEps: num('rms_norm_eps', 1e-6),
    maxPositionEmbeddings: int('max_position_embeddings', 2048),
    tieWordEmbeddings: bool('tie_word_embeddings', false),
    qkvBias: type === 'qwen2' ? true : attentionBias,
    outputBias: type === 'qwen2' || type === 'mistral' ? false : attentionBias,
    mlpBias: type === 'llama' ? bool('mlp_bias', false) : false,
    qkNorm: type === 'qwen3',
    bosTokenId: tokenId('bos_token_id'),
    eosTokenIds,
    padTokenId: pad,
    ...(pad !== undefined && pad < vocabSize ? { paddingIdx: pad } : {}),
  };
}

function parseRopeScaling(value: unknown, source: string): RopeScaling | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new CheckpointError('"rope_scaling" must be an object or null', source);
  // "type" is the key's name before transformers 4.45.
  const type = value.rope_type ?? value.type;
  const field = (key: string): number => {
    const v = value[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new CheckpointError(
        `"rope_scaling.${key}" must be a positive number, got ${JSON.stringify(v)}`,
        source,
      );
    }
    return v;
  };
  if (type === 'default') return undefined;
  if (type === 'linear') return { type, factor: field('factor') };
  if (type === 'llama3') {
    const lowFreqFactor = field('low_freq_factor');
    const highFreqFactor = field('high_freq_factor');
    if (highFreqFactor <= lowFreqFactor) {
      throw new CheckpointError('"rope_scaling.high_freq_factor" must exceed low_freq_factor', source);
    }
    return {
      type,
      factor: field('factor'),
      lowFreqFactor,
      highFreqFactor,
      originalMaxPositionEmbeddings: field('original_max_position_embeddings'),
    };
  }
  throw new CheckpointError(
    `"rope_scaling.rope_type" ${JSON.stringify(type)} is not supported (supported: default, linear, llama3)`,
    source,
  );
}

/** Back to Hugging Face's `config.json` keys (what `save` writes), for the given architecture. */
export function toHuggingFaceCausalConfig(config: CausalLMConfig): Record<string, unknown> {
  const architecture = {
    llama: 'LlamaForCausalLM',
    qwen3: 'Qwen3ForCausalLM',
    mistral: 'MistralForCausalLM',
    qwen2: 'Qwen2ForCausalLM',
  }[config.modelType];
  const scaling = config.ropeScaling;
  const out: Record<string, unknown> = {
    architectures: [architecture],
    model_type: config.modelType,
    vocab_size: config.vocabSize,
    hidden_size: config.hiddenSize,
    intermediate_size: config.intermediateSize,
    num_hidden_layers: config.numLayers,
    num_attention_heads: config.numHeads,
    num_key_value_heads: config.numKeyValueHeads,
    head_dim: config.headDim,
    hidden_act: 'silu',
    rope_theta: config.ropeTheta,
    rope_scaling:
      scaling === undefined
        ? null
        : scaling.type === 'linear'
          ? { rope_type: 'linear', factor: scaling.factor }
          : {
              rope_type: 'llama3',
              factor: scaling.factor,
              low_freq_factor: scaling.lowFreqFactor,
              high_freq_factor: scaling.highFreqFactor,
              original_max_position_embeddings: scaling.originalMaxPositionEmbeddings,
            },
    rms_norm_eps: config.rmsNormEps,
    max_position_embeddings: config.maxPositionEmbeddings,
    tie_word_embeddings: config.tieWordEmbeddings,
    bos_token_id: config.bosTokenId ?? null,
    eos_token_id: config.eosTokenIds.length === 1 ? config.eosTokenIds[0] : config.eosTokenIds,
    pad_token_id: config.padTokenId ?? null,
    torch_dtype: 'float32',
    use_cache: true,
  };
  if (config.modelType !== 'qwen2') out.attention_bias = config.outputBias || config.qkvBias;
  if (config.modelType === 'llama') out.mlp_bias = config.mlpBias;
  if (config.modelType === 'qwen3' || config.modelType === 'qwen2') out.use_sliding_window = false;
  return out;
}

/**
 * The config with `generation_config.json`'s token ids where it gives them, as Hugging Face's
 * `generate` reads them (Llama 3 Instruct lists its end-of-turn ids there, not in `config.json`).
 * Invalid entries are ignored (the file is advice to generation, not part of the network).
 */
export function withGenerationIds(
  config: CausalLMConfig,
  generationConfig: Record<string, unknown> | undefined,
): CausalLMConfig {
  if (generationConfig === undefined) return config;
  const isId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  const eos = generationConfig.eos_token_id;
  const eosTokenIds = isId(eos)
    ? [eos]
    : Array.isArray(eos) && eos.every(isId)
      ? [...eos]
      : config.eosTokenIds;
  const pad = generationConfig.pad_token_id;
  return { ...config, eosTokenIds, padTokenId: config.padTokenId ?? (isId(pad) ? pad : undefined) };
}
