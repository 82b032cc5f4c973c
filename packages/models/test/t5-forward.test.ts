import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type BackendName } from '../src/backend/index';
import { relativePositionBucket } from '../src/t5/relativePosition';
import type { T5Model } from '../src/t5/model';
import { FIXTURES, fixtureDir, loadFixture, loadModel, maxAbsDiff, referenceBatch } from './t5-fixtures';

const BACKENDS: BackendName[] = ['wasm', 'cpu'];

describe.skipIf(!fixtureDir('t5-tiny'))('relativePositionBucket', () => {
  it('matches HF for every relative position in -300..300, both directions', () => {
    const ref = loadFixture('t5-tiny').reference.relative_position_buckets;
    const bi = ref.relative_position.map((p) => relativePositionBucket(p, true, 32, 128));
    const uni = ref.relative_position.map((p) => relativePositionBucket(p, false, 32, 128));
    expect(bi).toEqual(ref.bidirectional);
    expect(uni).toEqual(ref.unidirectional);
  });
});

for (const backend of BACKENDS) {
  for (const name of FIXTURES) {
    describe.skipIf(!fixtureDir(name))(`T5Model forward, ${name} on ${backend}`, () => {
      let model: T5Model;
      beforeAll(async () => {
        await initBackend(backend);
        model = loadModel(name);
      });
      afterAll(() => model?.dispose());

      it('encoder states within 1e-4 of the reference, padding rows included', () => {
        const f = loadFixture(name);
        const batch = referenceBatch(f.reference);
        const before = tf.memory().numTensors;
        const states = model.encode(batch.inputIds, batch.attentionMask);
        expect(states.shape).toEqual(f.reference.encoder_last_hidden_state.shape);
        const diff = maxAbsDiff(states.dataSync(), f.expected.get('encoder_last_hidden_state')!.data);
        states.dispose();
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose(Object.values(batch));
        expect(diff).toBeLessThan(1e-4);
      });

      it('teacher-forced logits within 1e-4, argmax identical, no tensor leaks', () => {
        const f = loadFixture(name);
        const batch = referenceBatch(f.reference);
        const before = tf.memory().numTensors;
        const logits = model.forward(batch);
        expect(logits.shape).toEqual([3, 9, f.config.vocabSize]);
        const data = logits.dataSync();
        const argmax = tf.tidy(() => tf.argMax(logits, -1).arraySync());
        logits.dispose();
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose(Object.values(batch));
        expect(maxAbsDiff(data, f.expected.get('logits')!.data)).toBeLessThan(1e-4);
        expect(argmax).toEqual(f.reference.logits.argmax);
      });

      it('decoding with the cache, one token at a time, gives the full forward logits', () => {
        const f = loadFixture(name);
        const batch = referenceBatch(f.reference);
        const before = tf.memory().numTensors;
        const encoded = model.encode(batch.inputIds, batch.attentionMask);
        const full = model.decode(batch.decoderInputIds, encoded, batch.attentionMask);
        full.cache.dispose();
        let cache = undefined as ReturnType<T5Model['decode']>['cache'] | undefined;
        const steps: tf.Tensor[] = [];
        const tgtLen = batch.decoderInputIds.shape[1];
        for (let t = 0; t < tgtLen; t++) {
          const ids = tf.slice(batch.decoderInputIds, [0, t], [-1, 1]);
          const step = model.decode(ids, encoded, batch.attentionMask, cache);
          ids.dispose();
          cache?.dispose();
          cache = step.cache;
          steps.push(step.logits);
        }
        expect(cache!.length).toBe(tgtLen);
        cache!.dispose();
        const incremental = tf.concat(steps, 1);
        const diff = maxAbsDiff(incremental.dataSync(), full.logits.dataSync());
        const refDiff = maxAbsDiff(full.logits.dataSync(), f.expected.get('logits')!.data);
        tf.dispose([...steps, incremental, full.logits, encoded]);
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose(Object.values(batch));
        expect(diff).toBeLessThan(1e-4);
        expect(refDiff).toBeLessThan(1e-4);
      });

      it('cache.select reorders and repeats rows: the next step matches the selected rows', () => {
        const f = loadFixture(name);
        const batch = referenceBatch(f.reference);
        const before = tf.memory().numTensors;
        const encoded = model.encode(batch.inputIds, batch.attentionMask);
        const first = tf.slice(batch.decoderInputIds, [0, 0], [-1, 2]);
        const second = tf.slice(batch.decoderInputIds, [0, 2], [-1, 1]);
        const step1 = model.decode(first, encoded, batch.attentionMask);
        const full = model.decode(second, encoded, batch.attentionMask, step1.cache);
        const rows = [2, 0, 0];
        const pick = tf.tensor1d(rows, 'int32');
        const selected = step1.cache.select(rows);
        expect(selected.length).toBe(2);
        const encPicked = tf.gather(encoded, pick);
        const maskPicked = tf.gather(batch.attentionMask, pick);
        const secondPicked = tf.gather(second, pick) as tf.Tensor2D;
        const next = model.decode(secondPicked, encPicked, maskPicked, selected);
        const expected = tf.gather(full.logits, pick);
        expect(maxAbsDiff(next.logits.dataSync(), expected.dataSync())).toBeLessThan(1e-5);
        expect(() => step1.cache.select([3])).toThrow(RangeError);
        tf.dispose([
          encoded,
          first,
          second,
          step1.logits,
          full.logits,
          pick,
          encPicked,
          maskPicked,
          secondPicked,
          next.logits,
          expected,
        ]);
        step1.cache.dispose();
        full.cache.dispose();
        selected.dispose();
        next.cache.dispose();
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose(Object.values(batch));
      });

      it('a batch row alone gives the same logits as in the padded batch', () => {
        const f = loadFixture(name);
        const row = 1;
        const len = f.reference.inputs.attention_mask[row]!.reduce((a, b) => a + b, 0);
        const single = tf.tidy(() =>
          model.forward({
            inputIds: tf.tensor2d([f.reference.inputs.input_ids[row]!.slice(0, len)], undefined, 'int32'),
            attentionMask: tf.ones([1, len], 'int32') as tf.Tensor2D,
            decoderInputIds: tf.tensor2d([f.reference.inputs.decoder_input_ids[row]!], undefined, 'int32'),
          }),
        );
        const V = f.config.vocabSize;
        const expected = f.expected.get('logits')!.data.subarray(row * 9 * V, (row + 1) * 9 * V);
        expect(maxAbsDiff(single.dataSync(), expected)).toBeLessThan(1e-4);
        single.dispose();
      });
    });
  }
}
