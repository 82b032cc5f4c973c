import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type BackendName } from '../src/backend/index';
import { tokenCrossEntropy } from '../src/loss/crossEntropy';
import { computeGradients } from '../src/t5/gradients';
import type { T5Model } from '../src/t5/model';
import { loadPacking, packedBatch, singleExample } from './packing-fixture';
import { fixtureDir, loadModel, maxAbsDiff } from './t5-fixtures';

const packing = loadPacking();

for (const backend of ['wasm', 'cpu'] as BackendName[]) {
  describe.skipIf(!packing || !fixtureDir('flan-t5-tiny'))(`packed rows, flan-t5-tiny on ${backend}`, () => {
    let model: T5Model;
    beforeAll(async () => {
      await initBackend(backend);
      model = loadModel('flan-t5-tiny');
    });
    afterAll(() => model?.dispose());

    it('a packed forward reproduces the unpacked per-token losses within 1e-4', () => {
      const batch = packedBatch(packing!);
      const before = tf.memory().numTensors;
      const logits = model.forward(batch);
      const perToken = tokenCrossEntropy(logits, batch.labels);
      const got = perToken.arraySync() as number[][];
      packing!.rows.forEach((row, r) => {
        const weighted = got[r]!.map((v, i) => (row.decoder_loss_weights[i] ? v : 0));
        expect(maxAbsDiff(weighted, row.per_token_loss)).toBeLessThan(1e-4);
        expect(Math.abs(weighted.reduce((a, b) => a + b, 0) - row.summed_loss)).toBeLessThan(1e-3);
      });
      tf.dispose([logits, perToken]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose(Object.values(batch));
    });

    it('without segment ids the same rows attend across examples (the masks matter)', () => {
      const batch = packedBatch(packing!);
      const { encoderSegmentIds: _e, decoderSegmentIds: _d, ...unpacked } = batch;
      const perToken = tf.tidy(() => tokenCrossEntropy(model.forward(unpacked), batch.labels));
      const got = (perToken.arraySync() as number[][]).flat();
      const expected = packing!.rows.flatMap((r) => r.per_token_loss);
      expect(
        maxAbsDiff(
          got.map((v, i) => (expected[i] === 0 ? 0 : v)),
          expected,
        ),
      ).toBeGreaterThan(1e-2);
      tf.dispose([perToken, ...Object.values(batch)]);
    });

    it("packed gradients equal the sum of the unpacked examples' gradients", () => {
      // Summed (not mean) token losses on both sides: scale the mean by the token count.
      const batch = packedBatch(packing!);
      const tokens = packing!.rows.flatMap((r) => r.decoder_loss_weights).filter(Boolean).length;
      const names = [
        'shared.weight',
        'encoder.block.0.layer.0.SelfAttention.q.weight',
        'decoder.block.0.layer.1.EncDecAttention.k.weight',
        'encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight',
      ];
      const packed = computeGradients(model, batch, { parameters: names });
      const sum = new Map(names.map((n) => [n, tf.zerosLike(packed.grads.get(n)!)]));
      for (const ex of packing!.examples) {
        const single = singleExample(ex);
        const g = computeGradients(model, single, { parameters: names });
        const n = ex.targets.length;
        for (const name of names) {
          const next = tf.add(sum.get(name)!, tf.mul(g.grads.get(name)!, n));
          sum.get(name)!.dispose();
          sum.set(name, next);
        }
        tf.dispose([g.loss, ...g.grads.values(), ...Object.values(single)]);
      }
      for (const name of names) {
        const got = tf.tidy(() => tf.mul(packed.grads.get(name)!, tokens).dataSync());
        expect(maxAbsDiff(got, sum.get(name)!.dataSync()), name).toBeLessThan(1e-4);
      }
      tf.dispose([packed.loss, ...packed.grads.values(), ...sum.values(), ...Object.values(batch)]);
    });
  });
}
