/**
 * The contract between a decoder-only network (causal/model.ts) and what drives it: generation,
 * scoring and training, beside `Seq2SeqLM` (t5/interface.ts). Tensors in, tensors out; ids are int32.
 * Callers own (and dispose) every tensor returned.
 */
import type { Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import type { DecoderCache } from '../t5/interface';

export interface CausalLMInputs {
  /** `[batch, len]` int32: the new positions (all of them without a cache). */
  inputIds: Tensor2D;
  /**
   * `[batch, past + len]`, 1 for real tokens and 0 for padding, over the cached and the new
   * positions (HF's `attention_mask` in `generate`). Default: all ones.
   */
  attentionMask?: Tensor2D;
  /** `[batch, len]` int32 rotary positions. Default `past … past+len−1`. */
  positionIds?: Tensor2D;
  /**
   * Packed rows (HF `DataCollatorWithFlattening`): `[batch, len]` segment ids, 1, 2, … per example
   * and 0 on padding; attention stays inside each example. Give `positionIds` restarting at 0 per
   * example with them (`packedRowIds`); `attentionMask` is then not used. Not with a cache.
   */
  segmentIds?: Tensor2D;
}

export interface CausalDecodeOptions {
  /** Return the logits of the last position only (`[batch, 1, vocab]`): what a decoding step needs. */
  lastPositionOnly?: boolean;
}

export interface CausalLM {
  /** Tells this contract from `Seq2SeqLM` at run time. */
  readonly architecture: 'causal';
  readonly vocabSize: number;
  /** The config's pad id, else the first eos id (what HF's `generate` falls back to), else 0. */
  readonly padTokenId: number;
  /** The first of {@link eosTokenIds} (generation options take one id). */
  readonly eosTokenId: number;
  /** Every id that ends a sequence. */
  readonly eosTokenIds: readonly number[];

  /** Teacher-forced logits `[batch, len, vocab]`. */
  forward(inputs: CausalLMInputs): Tensor3D;

  /**
   * Runs the new positions after those in `cache` (none when undefined) and returns their logits and
   * a new cache holding old and new keys/values; the input cache is left intact. The same attention
   * code as {@link forward}.
   */
  decode(
    inputs: CausalLMInputs,
    cache?: DecoderCache,
    options?: CausalDecodeOptions,
  ): { logits: Tensor3D; cache: DecoderCache };
}

/** Whether a model meets the causal contract (a `Seq2SeqLM` has no `architecture: 'causal'`). */
export function isCausalLM(model: object): model is CausalLM {
  return (model as Partial<CausalLM>).architecture === 'causal';
}
