import { GenerationError } from './errors';

/** What happens at each decoding step, for streaming. */
export interface GenerationStep {
  /** 0-based index of the new token. */
  step: number;
  /**
   * The token each output row emitted at this step, or `null` for a row that had already
   * finished (Hugging Face feeds such rows the pad token).
   */
  tokens: readonly (number | null)[];
}

/**
 * Decoding options. Names and semantics follow Hugging Face `GenerationConfig`
 * (`max_new_tokens`, `num_beams`, `length_penalty`, ...), in camelCase.
 */
export interface GenerationOptions {
  /** Most tokens generated per row, eos included. Default 20. */
  maxNewTokens?: number;
  /** Eos is forbidden until this many tokens have been generated. Default 0. */
  minNewTokens?: number;
  /** Beam search when > 1. Default 1 (greedy, or sampling with `doSample`). */
  numBeams?: number;
  /** Beam scores are `sum_logprobs / generated_len ** lengthPenalty`. Default 1. */
  lengthPenalty?: number;
  /**
   * Beam search stopping, as HF's `early_stopping`: `true` stops a prompt once `numBeams`
   * hypotheses are finished; `false` (default) stops when no running beam can beat the worst
   * finished one at the current length; `'never'` only when none could at the maximum length.
   */
  earlyStopping?: boolean | 'never';
  /** Sample instead of taking the argmax. Default false. */
  doSample?: boolean;
  /** Logits are divided by this before sampling. Default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens when sampling (0 = off). Default 50, as in HF. */
  topK?: number;
  /** Keep the smallest set of tokens whose probability reaches topP when sampling. Default 1 (off). */
  topP?: number;
  /** Seed of the sampling RNG: the same seed gives the same tokens. Default 0. */
  seed?: number;
  /** HF repetition penalty: scores of tokens already in the decoder sequence are divided (if > 0) or multiplied (if < 0) by it. Default 1. */
  repetitionPenalty?: number;
  /** No n-gram of this size occurs twice in a decoder sequence (0 = off). Default 0. */
  noRepeatNgramSize?: number;
  /** Sequences returned per prompt (≤ numBeams with beam search; sampling draws them independently). Default 1. */
  numReturnSequences?: number;
  /** A row stops once its decoded new text contains one of these strings. Needs `decode`. */
  stopStrings?: readonly string[];
  /** Turns new token ids into text (for `stopStrings`); pass your tokenizer's decode. */
  decode?: (ids: readonly number[]) => string;
  /**
   * Ids at or above this are never emitted. Checkpoints round the embedding up (Flan-T5: 32128
   * rows for a 32100-token vocabulary), so pass the tokenizer's size. Default: the model's vocabSize.
   */
  allowedVocabSize?: number;
  /** Called after every step with each row's new token (greedy and sampling only). */
  onStep?: (step: GenerationStep) => void;
  /**
   * Never stop at eos: eos ids are ordinary tokens and every row runs to `maxNewTokens` (or a stop
   * string). Default false.
   */
  ignoreEos?: boolean;
  /** Defaults: the model's ids (a decoder-only model may have several eos ids; this replaces them all). */
  eosTokenId?: number;
  padTokenId?: number;
  decoderStartTokenId?: number;
}

export interface ResolvedGenerationOptions {
  maxNewTokens: number;
  minNewTokens: number;
  numBeams: number;
  lengthPenalty: number;
  earlyStopping: boolean | 'never';
  doSample: boolean;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
  repetitionPenalty: number;
  noRepeatNgramSize: number;
  numReturnSequences: number;
  stopStrings: readonly string[];
  decode: ((ids: readonly number[]) => string) | undefined;
  allowedVocabSize: number;
  onStep: ((step: GenerationStep) => void) | undefined;
  eosTokenId: number;
  /** The ids that end a row: `eosTokenId` given, else the model's; empty with `ignoreEos`. */
  eosTokenIds: readonly number[];
  padTokenId: number;
  /** The encoder-decoder's first decoder token (unused by decoder-only models). */
  decoderStartTokenId: number;
}

interface ModelIds {
  vocabSize: number;
  eosTokenId: number;
  /** Every eos id of a decoder-only model (Llama 3 has several). */
  eosTokenIds?: readonly number[];
  padTokenId: number;
  /** Only encoder-decoders have one. */
  decoderStartTokenId?: number;
}

function integer(value: number | undefined, fallback: number, name: string, min: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min)
    throw new GenerationError(`must be an integer ≥ ${min}, got ${v}`, name);
  return v;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v <= 0) throw new GenerationError(`must be a finite number > 0, got ${v}`, name);
  return v;
}

/** Fills in defaults and rejects contradictory or out-of-range options with a GenerationError naming the option. */
export function resolveGenerationOptions(
  model: ModelIds,
  options: GenerationOptions = {},
): ResolvedGenerationOptions {
  const maxNewTokens = integer(options.maxNewTokens, 20, 'maxNewTokens', 1);
  const minNewTokens = integer(options.minNewTokens, 0, 'minNewTokens', 0);
  if (minNewTokens > maxNewTokens) {
    throw new GenerationError(`(${minNewTokens}) exceeds maxNewTokens (${maxNewTokens})`, 'minNewTokens');
  }
  const numBeams = integer(options.numBeams, 1, 'numBeams', 1);
  const doSample = options.doSample ?? false;
  if (doSample && numBeams > 1)
    throw new GenerationError('beam sampling is not supported; use doSample or numBeams > 1', 'doSample');
  const numReturnSequences = integer(options.numReturnSequences, 1, 'numReturnSequences', 1);
  if (numBeams > 1 && numReturnSequences > numBeams) {
    throw new GenerationError(
      `(${numReturnSequences}) cannot exceed numBeams (${numBeams})`,
      'numReturnSequences',
    );
  }
  if (numBeams === 1 && !doSample && numReturnSequences > 1) {
    throw new GenerationError(
      'greedy decoding returns one sequence per prompt; use doSample or numBeams',
      'numReturnSequences',
    );
  }
  const lengthPenalty = options.lengthPenalty ?? 1;
  if (!Number.isFinite(lengthPenalty))
    throw new GenerationError(`must be finite, got ${lengthPenalty}`, 'lengthPenalty');
  const earlyStopping = options.earlyStopping ?? false;
  if (earlyStopping !== true && earlyStopping !== false && earlyStopping !== 'never') {
    throw new GenerationError(`must be true, false or 'never'`, 'earlyStopping');
  }
  const topP = options.topP ?? 1;
  if (!(topP > 0 && topP <= 1)) throw new GenerationError(`must be in (0, 1], got ${topP}`, 'topP');
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new GenerationError(`must be an integer, got ${seed}`, 'seed');
  const stopStrings = options.stopStrings ?? [];
  if (stopStrings.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw new GenerationError('must be non-empty strings', 'stopStrings');
  }
  if (stopStrings.length > 0 && options.decode === undefined) {
    throw new GenerationError(
      'needs a decode function (the tokenizer) to read the generated text',
      'stopStrings',
    );
  }
  if (options.onStep !== undefined && numBeams > 1) {
    throw new GenerationError(
      'streaming is not available with beam search (beams are reordered until the end)',
      'onStep',
    );
  }
  const allowedVocabSize = integer(options.allowedVocabSize, model.vocabSize, 'allowedVocabSize', 1);
  if (allowedVocabSize > model.vocabSize) {
    throw new GenerationError(
      `(${allowedVocabSize}) exceeds the model's vocabSize (${model.vocabSize})`,
      'allowedVocabSize',
    );
  }
  const eosTokenId = integer(options.eosTokenId, model.eosTokenId, 'eosTokenId', 0);
  const padTokenId = integer(options.padTokenId, model.padTokenId, 'padTokenId', 0);
  const decoderStartTokenId = integer(
    options.decoderStartTokenId,
    model.decoderStartTokenId ?? padTokenId,
    'decoderStartTokenId',
    0,
  );
  const eosTokenIds =
    options.ignoreEos === true
      ? []
      : options.eosTokenId !== undefined
        ? [eosTokenId]
        : [...(model.eosTokenIds ?? [model.eosTokenId])];
  for (const eos of eosTokenIds) {
    if (eos >= allowedVocabSize) {
      throw new GenerationError(`(${eos}) is not below allowedVocabSize (${allowedVocabSize})`, 'eosTokenId');
    }
  }
  return {
    maxNewTokens,
    minNewTokens,
    numBeams,
    lengthPenalty,
    earlyStopping,
    doSample,
    temperature: positive(options.temperature, 1, 'temperature'),
    topK: integer(options.topK, 50, 'topK', 0),
    topP,
    seed,
    repetitionPenalty: positive(options.repetitionPenalty, 1, 'repetitionPenalty'),
    noRepeatNgramSize: integer(options.noRepeatNgramSize, 0, 'noRepeatNgramSize', 0),
    numReturnSequences,
    stopStrings,
    decode: options.decode,
    allowedVocabSize,
    onStep: options.onStep,
    eosTokenId,
    eosTokenIds,
    padTokenId,
    decoderStartTokenId,
  };
}
