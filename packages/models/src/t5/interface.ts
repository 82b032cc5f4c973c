/**
 * The contract between the T5 network (t5/model.ts) and what drives it: generation, scoring and
 * training. Tensors in, tensors out; ids are int32. Callers own (and dispose) every tensor returned.
 */
import type { Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';

/** Self- and cross-attention keys/values of every decoder layer for the positions decoded so far. */
export interface DecoderCache {
  /** Number of decoder positions already in the cache. */
  readonly length: number;
  /** Batch rows of the cache in the given order (beam search reorders and expands beams with it). */
  select(batchIndices: readonly number[]): DecoderCache;
  dispose(): void;
}

export interface EncoderDecoderInputs {
  /** [batch, srcLen] int32. */
  inputIds: Tensor2D;
  /** [batch, srcLen], 1 for real tokens and 0 for padding (int32 or float32). */
  attentionMask: Tensor2D;
  /** [batch, tgtLen] int32: labels shifted right, starting with decoderStartTokenId. */
  decoderInputIds: Tensor2D;
  /**
   * Packed rows (seqio `pack=True`): `[batch, srcLen]` and `[batch, tgtLen]` segment ids, 1, 2, … per
   * example and 0 on padding. Attention then stays inside each segment (decoder segment k reads encoder
   * segment k) and `attentionMask` is not used. Give both or neither.
   */
  encoderSegmentIds?: Tensor2D;
  decoderSegmentIds?: Tensor2D;
}

export interface Seq2SeqLM {
  readonly vocabSize: number;
  readonly padTokenId: number;
  readonly eosTokenId: number;
  readonly decoderStartTokenId: number;

  /** Encoder output after the final norm: [batch, srcLen, dModel]. */
  encode(inputIds: Tensor2D, attentionMask: Tensor2D): Tensor3D;

  /**
   * Runs the decoder over `decoderInputIds` [batch, newLen] that follow the positions already in
   * `cache` (none when `cache` is undefined). Returns logits [batch, newLen, vocabSize] for the new
   * positions and a new cache holding old and new positions; the input cache is left intact (the
   * caller disposes it when it is no longer needed).
   */
  decode(
    decoderInputIds: Tensor2D,
    encoderHiddenStates: Tensor3D,
    encoderAttentionMask: Tensor2D,
    cache?: DecoderCache,
  ): { logits: Tensor3D; cache: DecoderCache };

  /** Teacher-forced forward pass: logits [batch, tgtLen, vocabSize]. */
  forward(inputs: EncoderDecoderInputs): Tensor3D;
}
