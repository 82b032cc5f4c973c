/**
 * T5 hyper-parameters, read from a Hugging Face `config.json` (T5Config keys). T5 v1.0 (`relu`, tied
 * embeddings) and T5 v1.1 / Flan-T5 (`gated-gelu`, untied `lm_head`) differ only in these fields.
 */
import { CheckpointError } from '../checkpoint/errors';

/** `gelu` is the exact (erf) GELU, `gelu_new` the tanh approximation, as in Hugging Face. */
export type T5Activation = 'relu' | 'gelu' | 'gelu_new';

export interface T5Config {
  vocabSize: number;
  dModel: number;
  dKv: number;
  dFf: number;
  numHeads: number;
  numLayers: number;
  numDecoderLayers: number;
  relativeAttentionNumBuckets: number;
  relativeAttentionMaxDistance: number;
  layerNormEpsilon: number;
  dropoutRate: number;
  /** `gated-gelu` style feed-forward (wi_0, wi_1) vs plain (wi). */
  isGatedAct: boolean;
  activation: T5Activation;
  tieWordEmbeddings: boolean;
  padTokenId: number;
  eosTokenId: number;
  decoderStartTokenId: number;
}

/** Parses a `config.json` object; `source` names the file in errors. */
export function parseT5Config(json: unknown, source = 'config.json'): T5Config {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new CheckpointError('is not a JSON object', source);
  }
  const raw = json as Record<string, unknown>;
  const modelType = raw.model_type;
  if (modelType !== undefined && modelType !== 't5') {
    throw new CheckpointError(
      `unsupported model_type ${JSON.stringify(modelType)} (supported: "t5")`,
      source,
    );
  }
  if (raw.is_encoder_decoder === false) {
    throw new CheckpointError('is_encoder_decoder false is not supported: T5 is an encoder-decoder', source);
  }
  const int = (key: string, fallback?: number): number => {
    const value = raw[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new CheckpointError(
        `"${key}" must be a non-negative integer, got ${JSON.stringify(raw[key])}`,
        source,
      );
    }
    return value;
  };
  const num = (key: string, fallback: number): number => {
    const value = raw[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new CheckpointError(`"${key}" must be a number, got ${JSON.stringify(raw[key])}`, source);
    }
    return value;
  };

  // HF: feed_forward_proj is "{act}" or "gated-{act}"; "gated-gelu" alone is special-cased to gelu_new.
  const proj = raw.feed_forward_proj ?? 'relu';
  if (typeof proj !== 'string') throw new CheckpointError('"feed_forward_proj" must be a string', source);
  const parts = proj.split('-');
  const isGatedAct = parts[0] === 'gated';
  const actName = parts[parts.length - 1];
  if (parts.length > 2 || (parts.length === 2 && !isGatedAct) || (actName !== 'relu' && actName !== 'gelu')) {
    throw new CheckpointError(
      `unsupported feed_forward_proj ${JSON.stringify(proj)} (supported: relu, gated-relu, gelu, gated-gelu)`,
      source,
    );
  }
  const activation: T5Activation = proj === 'gated-gelu' ? 'gelu_new' : actName;

  // transformers 5 writes `tie_word_embeddings: true` for every T5 and keeps the v1.0 / v1.1
  // difference (tied head scaled by d_model^-0.5 vs untied lm_head) in `scale_decoder_outputs`.
  const tie = raw.scale_decoder_outputs ?? raw.tie_word_embeddings ?? true;
  if (typeof tie !== 'boolean') {
    const key = raw.scale_decoder_outputs === undefined ? 'tie_word_embeddings' : 'scale_decoder_outputs';
    throw new CheckpointError(`"${key}" must be a boolean`, source);
  }

  const numLayers = int('num_layers', 6);
  return {
    vocabSize: int('vocab_size', 32128),
    dModel: int('d_model', 512),
    dKv: int('d_kv', 64),
    dFf: int('d_ff', 2048),
    numHeads: int('num_heads', 8),
    numLayers,
    numDecoderLayers: raw.num_decoder_layers == null ? numLayers : int('num_decoder_layers'),
    relativeAttentionNumBuckets: int('relative_attention_num_buckets', 32),
    relativeAttentionMaxDistance: int('relative_attention_max_distance', 128),
    layerNormEpsilon: num('layer_norm_epsilon', 1e-6),
    dropoutRate: num('dropout_rate', 0.1),
    isGatedAct,
    activation,
    tieWordEmbeddings: tie,
    padTokenId: int('pad_token_id', 0),
    eosTokenId: int('eos_token_id', 1),
    decoderStartTokenId: int('decoder_start_token_id', 0),
  };
}

/** The `config.json` Hugging Face writes for this config (T5Config keys). */
export function toHuggingFaceConfig(config: T5Config): Record<string, unknown> {
  return {
    architectures: ['T5ForConditionalGeneration'],
    d_ff: config.dFf,
    d_kv: config.dKv,
    d_model: config.dModel,
    decoder_start_token_id: config.decoderStartTokenId,
    dense_act_fn: config.activation,
    dropout_rate: config.dropoutRate,
    eos_token_id: config.eosTokenId,
    feed_forward_proj: `${config.isGatedAct ? 'gated-' : ''}${config.activation === 'relu' ? 'relu' : 'gelu'}`,
    initializer_factor: 1.0,
    is_encoder_decoder: true,
    is_gated_act: config.isGatedAct,
    layer_norm_epsilon: config.layerNormEpsilon,
    model_type: 't5',
    num_decoder_layers: config.numDecoderLayers,
    num_heads: config.numHeads,
    num_layers: config.numLayers,
    pad_token_id: config.padTokenId,
    relative_attention_max_distance: config.relativeAttentionMaxDistance,
    relative_attention_num_buckets: config.relativeAttentionNumBuckets,
    tie_word_embeddings: config.tieWordEmbeddings,
    torch_dtype: 'float32',
    use_cache: true,
    vocab_size: config.vocabSize,
  };
}
