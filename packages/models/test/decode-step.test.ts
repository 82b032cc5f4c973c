import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLAN_T5_SMALL, randomT5Tensors } from '../bench/model';
import { initBackend } from '../src/backend/index';
import type { T5Config } from '../src/t5/config';
import type { DecoderCache } from '../src/t5/interface';
import { T5Model } from '../src/t5/model';

/** Small shapes, none a multiple of 4 where it matters; gated (Flan-T5) and tied relu (T5 v1.0) variants. */
const CONFIGS: Record<string, T5Config> = {
  gated: {
    ...FLAN_T5_SMALL,
    vocabSize: 101,
    dModel: 30,
    dKv: 7,
    numHeads: 3,
    dFf: 45,
    numLayers: 2,
    numDecoderLayers: 3,
    relativeAttentionNumBuckets: 8,
    relativeAttentionMaxDistance: 12,
  },
  tied: {
    ...FLAN_T5_SMALL,
    vocabSize: 83,
    dModel: 18,
    dKv: 5,
    numHeads: 2,
    dFf: 22,
    numLayers: 1,
    numDecoderLayers: 2,
    relativeAttentionNumBuckets: 6,
    relativeAttentionMaxDistance: 10,
    isGatedAct: false,
    activation: 'relu',
    tieWordEmbeddings: true,
  },
};

const BATCH = 2;
const SRC = 9;
const TGT = 6;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

for (const backend of ['wasm', 'cpu'] as const) {
  for (const [variant, config] of Object.entries(CONFIGS)) {
    describe(`decode steps, ${variant} model on ${backend}`, () => {
      let model: T5Model;
      let inputIds: tf.Tensor2D;
      let mask: tf.Tensor2D;
      let decoderIds: tf.Tensor2D;

      beforeAll(async () => {
        await initBackend(backend);
        model = T5Model.fromTensors(config, new Map(randomT5Tensors(config, 7).map((t) => [t.name, t])));
        const ids = (n: number, seed: number) =>
          Array.from({ length: n }, (_, i) => 2 + (((i * seed) % 90) % (config.vocabSize - 2)));
        inputIds = tf.tensor2d(ids(BATCH * SRC, 13), [BATCH, SRC], 'int32');
        // The second row is padded: the cross-attention mask matters.
        mask = tf.tensor2d(
          Array.from({ length: BATCH * SRC }, (_, i) => (i >= SRC && i % SRC >= SRC - 3 ? 0 : 1)),
          [BATCH, SRC],
          'int32',
        );
        decoderIds = tf.tensor2d(ids(BATCH * TGT, 7), [BATCH, TGT], 'int32');
      });

      afterAll(() => {
        tf.dispose([inputIds, mask, decoderIds]);
        model.dispose();
      });

      it('one position at a time gives the logits of decoding all positions at once and of forward()', () => {
        const before = tf.memory().numTensors;
        const encoded = model.encode(inputIds, mask);
        const all = model.decode(decoderIds, encoded, mask);
        const forward = model.forward({ inputIds, attentionMask: mask, decoderInputIds: decoderIds });
        expect(maxAbsDiff(all.logits.dataSync(), forward.dataSync())).toBeLessThan(1e-5);
        const stepped: Float32Array[] = [];
        let cache: DecoderCache | undefined;
        for (let t = 0; t < TGT; t++) {
          const ids = tf.slice(decoderIds, [0, t], [BATCH, 1]);
          const out = model.decode(ids, encoded, mask, cache);
          expect(out.cache.length).toBe(t + 1);
          stepped.push(out.logits.dataSync() as Float32Array);
          tf.dispose([ids, out.logits]);
          cache?.dispose();
          cache = out.cache;
        }
        // Interleave the per-step [batch, 1, vocab] logits into [batch, tgt, vocab].
        const v = config.vocabSize;
        const want = all.logits.dataSync();
        const got = new Float32Array(want.length);
        stepped.forEach((s, t) => {
          for (let b = 0; b < BATCH; b++) got.set(s.subarray(b * v, (b + 1) * v), (b * TGT + t) * v);
        });
        expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
        cache?.dispose();
        all.cache.dispose();
        tf.dispose([encoded, all.logits, forward]);
        expect(tf.memory().numTensors).toBe(before);
      });

      it('a two-position continuation of a cache (causal mask path) matches single steps', () => {
        const encoded = model.encode(inputIds, mask);
        const first = model.decode(tf.slice(decoderIds, [0, 0], [BATCH, 3]), encoded, mask);
        const rest = model.decode(tf.slice(decoderIds, [0, 3], [BATCH, 3]), encoded, mask, first.cache);
        const all = model.decode(decoderIds, encoded, mask);
        const want = tf.slice(all.logits, [0, 3, 0], [BATCH, 3, config.vocabSize]);
        expect(maxAbsDiff(rest.logits.dataSync(), want.dataSync())).toBeLessThan(1e-5);
        tf.dispose([encoded, first.logits, rest.logits, all.logits, want]);
        for (const c of [first.cache, rest.cache, all.cache]) c.dispose();
      });

      it('a single-position step splits and merges heads without Transpose kernels', async () => {
        const encoded = model.encode(inputIds, mask);
        const first = model.decode(tf.slice(decoderIds, [0, 0], [BATCH, 1]), encoded, mask);
        const next = tf.slice(decoderIds, [0, 1], [BATCH, 1]);
        const info = await tf.profile(() => {
          const out = model.decode(next, encoded, mask, first.cache);
          out.cache.dispose();
          return out.logits;
        });
        // Splitting or merging heads would transpose a rank-4 [batch, ·, ·, dKv] tensor; the position
        // bias may transpose its 2-D table (once per step, not per layer).
        const transposes = info.kernels.filter((k) => k.name === 'Transpose').map((k) => k.inputShapes[0]!);
        expect(transposes.filter((shape) => shape.length === 4)).toEqual([]);
        expect(transposes.length).toBeLessThanOrEqual(1);
        tf.dispose([encoded, first.logits, next]);
        first.cache.dispose();
      });
    });
  }
}
