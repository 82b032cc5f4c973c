/**
 * A Seq2SeqLM whose next-token scores are a plain function of (prompt, decoder prefix), so tests of
 * the decoding algorithms control every logit. It recovers each row's prompt from the encoder
 * states it is given (ids as floats), which also checks that generation expands and reorders rows.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import type { DecoderCache, EncoderDecoderInputs, Seq2SeqLM } from '../src/t5/interface';

/** Scores of the next token after `prefix` (decoder start token included). */
export type ScoreFunction = (prompt: readonly number[], prefix: readonly number[]) => ArrayLike<number>;

class FakeCache implements DecoderCache {
  constructor(
    readonly prefixes: number[][],
    private readonly live: Set<FakeCache>,
  ) {
    live.add(this);
  }
  get length(): number {
    return this.prefixes[0]?.length ?? 0;
  }
  select(batchIndices: readonly number[]): DecoderCache {
    return new FakeCache(
      batchIndices.map((i) => [...this.prefixes[i]!]),
      this.live,
    );
  }
  dispose(): void {
    this.live.delete(this);
  }
}

export class FakeSeq2SeqLM implements Seq2SeqLM {
  readonly padTokenId = 0;
  readonly eosTokenId = 1;
  readonly decoderStartTokenId = 0;
  /** Caches created and not yet disposed. */
  readonly liveCaches = new Set<FakeCache>();
  decodeCalls = 0;

  constructor(
    readonly vocabSize: number,
    private readonly scores: ScoreFunction,
  ) {}

  encode(inputIds: Tensor2D, attentionMask: Tensor2D): Tensor3D {
    return tf.tidy(
      () =>
        tf.expandDims(tf.cast(tf.mul(inputIds, tf.cast(attentionMask, 'int32')), 'float32'), 2) as Tensor3D,
    );
  }

  decode(
    decoderInputIds: Tensor2D,
    encoderHiddenStates: Tensor3D,
    encoderAttentionMask: Tensor2D,
    cache?: DecoderCache,
  ) {
    this.decodeCalls += 1;
    const [batch, srcLen] = encoderAttentionMask.shape;
    const hidden = encoderHiddenStates.dataSync();
    const mask = encoderAttentionMask.dataSync();
    const prompts = Array.from({ length: batch }, (_, r) =>
      Array.from({ length: srcLen }, (_, c) => c)
        .filter((c) => mask[r * srcLen + c] === 1)
        .map((c) => hidden[r * srcLen + c]!),
    );
    const newLen = decoderInputIds.shape[1];
    const ids = decoderInputIds.dataSync();
    const before = cache instanceof FakeCache ? cache.prefixes : prompts.map(() => []);
    const prefixes = before.map((p, r) => [...p, ...Array.from(ids.subarray(r * newLen, (r + 1) * newLen))]);
    const logits = new Float32Array(batch * newLen * this.vocabSize);
    prefixes.forEach((prefix, r) => {
      for (let t = 0; t < newLen; t += 1) {
        const row = this.scores(prompts[r]!, prefix.slice(0, prefix.length - newLen + t + 1));
        logits.set(Array.from(row), (r * newLen + t) * this.vocabSize);
      }
    });
    return {
      logits: tf.tensor3d(logits, [batch, newLen, this.vocabSize]),
      cache: new FakeCache(prefixes, this.liveCaches),
    };
  }

  forward(inputs: EncoderDecoderInputs): Tensor3D {
    return tf.tidy(() => {
      const encoded = this.encode(inputs.inputIds, inputs.attentionMask);
      const { logits, cache } = this.decode(inputs.decoderInputIds, encoded, inputs.attentionMask);
      cache.dispose();
      return logits;
    });
  }
}

/** Logits that are the log of the given probabilities (0 → -Infinity), over `vocabSize` ids. */
export function logProbs(vocabSize: number, probs: Record<number, number>): Float32Array {
  const row = new Float32Array(vocabSize).fill(-Infinity);
  for (const [id, p] of Object.entries(probs)) row[Number(id)] = Math.log(p);
  return row;
}

/** Logits with `best` highest and every other id decreasing with its id. */
export function prefer(vocabSize: number, best: number): Float32Array {
  const row = Float32Array.from({ length: vocabSize }, (_, i) => -i * 0.01);
  row[best] = 10;
  return row;
}
