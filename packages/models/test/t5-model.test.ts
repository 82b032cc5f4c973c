import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index';
import { CheckpointError } from '../src/checkpoint/errors';
import type { NamedFloat32Tensor } from '../src/checkpoint/safetensors';
import { dropoutAt } from '../src/kernels/dropout';
import { crossEntropyLoss } from '../src/loss/crossEntropy';
import { computeGradients } from '../src/t5/gradients';
import { ModelInputError, T5Model } from '../src/t5/model';
import { fixtureDir, loadFixture, maxAbsDiff, referenceBatch } from './t5-fixtures';

describe.skipIf(!fixtureDir('t5-tiny') || !fixtureDir('flan-t5-tiny'))(
  'T5Model construction, parameters, errors',
  () => {
    beforeAll(async () => {
      await initBackend('wasm');
    });

    it('tied models: one shared.weight parameter, lm_head.weight optional, saved back as a copy', () => {
      const f = loadFixture('t5-tiny');
      const withoutHead = new Map(f.tensors);
      withoutHead.delete('lm_head.weight');
      const before = tf.memory().numTensors;
      const model = T5Model.fromTensors(f.config, withoutHead);
      expect(model.parameters().has('lm_head.weight')).toBe(false);
      expect(model.parameters().size).toBe(Object.keys(f.reference.grad_norms).length);
      const saved = model.toTensors();
      expect(saved.map((t) => t.name)).toEqual([...f.tensors.keys()].sort());
      for (const t of saved) {
        expect(t.shape).toEqual(f.tensors.get(t.name)!.shape);
        expect(maxAbsDiff(t.data, f.tensors.get(t.name)!.data)).toBe(0);
      }
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });

    it('untied models keep lm_head.weight as its own parameter; toTensors round-trips bit-exactly', () => {
      const f = loadFixture('flan-t5-tiny');
      const model = T5Model.fromTensors(f.config, f.tensors);
      expect(model.parameters().has('lm_head.weight')).toBe(true);
      const again = T5Model.fromTensors(f.config, new Map(model.toTensors().map((t) => [t.name, t])));
      for (const t of again.toTensors()) expect(maxAbsDiff(t.data, f.tensors.get(t.name)!.data)).toBe(0);
      model.dispose();
      again.dispose();
    });

    it('names the missing tensor, and the tensor whose shape disagrees with the config', () => {
      const f = loadFixture('flan-t5-tiny');
      const before = tf.memory().numTensors;
      const missing = new Map(f.tensors);
      missing.delete('decoder.block.1.layer.1.EncDecAttention.k.weight');
      expect(() => T5Model.fromTensors(f.config, missing)).toThrow(CheckpointError);
      expect(() => T5Model.fromTensors(f.config, missing)).toThrow(
        /decoder\.block\.1\.layer\.1\.EncDecAttention\.k\.weight.*missing/,
      );
      const wrong = new Map(f.tensors);
      const bad: NamedFloat32Tensor = {
        name: 'encoder.block.0.layer.1.DenseReluDense.wi_0.weight',
        shape: [64, 128],
        data: new Float32Array(64 * 128),
      };
      wrong.set(bad.name, bad);
      expect(() => T5Model.fromTensors(f.config, wrong)).toThrow(
        /wi_0\.weight.*\[64, 128\] disagrees with the config.*\[128, 64\]/,
      );
      // A failed construction frees what it had allocated.
      expect(tf.memory().numTensors).toBe(before);
    });

    it('rejects inputs with wrong shapes or dtypes, naming them', () => {
      const f = loadFixture('flan-t5-tiny');
      const model = T5Model.fromTensors(f.config, f.tensors);
      const ids = tf.tensor2d([[5, 6, 1]], undefined, 'int32');
      const mask = tf.tensor2d([[1, 1, 1]], undefined, 'int32');
      expect(() => model.encode(tf.tensor2d([[5, 6, 1]]), mask)).toThrow(/inputIds: expected int32/);
      expect(() => model.encode(ids, tf.tensor2d([[1, 1]], undefined, 'int32'))).toThrow(ModelInputError);
      expect(() =>
        model.forward({
          inputIds: ids,
          attentionMask: mask,
          decoderInputIds: tf.tensor2d([[0], [0]], undefined, 'int32'),
        }),
      ).toThrow(/decoderInputIds: batch 2 differs/);
      model.dispose();
      expect(() => model.encode(ids, mask)).toThrow(/after dispose/);
    });

    it('dropout seeds come from (pass seed, site): the same for the same site, distinct across sites and passes', () => {
      const seeds = new Set<number>();
      const sites = ['encoder.embedding', 'encoder.final', 'decoder.embedding', 'decoder.final'];
      for (let layer = 0; layer < 64; layer++) {
        for (const stack of ['encoder', 'decoder']) {
          for (const kind of ['self-attention', 'cross-attention', 'feed-forward'])
            sites.push(`${stack}.${layer}.${kind}`);
        }
      }
      for (const passSeed of [0, 1, 2, 1000]) {
        for (const site of sites) {
          const { seed } = dropoutAt({ rate: 0.1, seed: passSeed }, site)!;
          expect(dropoutAt({ rate: 0.1, seed: passSeed }, site)!.seed).toBe(seed);
          // A module draws masks at seed and seed + 1: keep both free of every other site's.
          expect(seeds.has(seed) || seeds.has(seed + 1) || seeds.has(seed - 1), site).toBe(false);
          seeds.add(seed);
        }
      }
      expect(seeds.size).toBe(4 * sites.length);
      expect(dropoutAt(undefined, 'encoder.final')).toBeUndefined();
    });

    it('training mode applies seeded dropout; gradients match finite differences of the dropped-out loss', () => {
      const f = loadFixture('flan-t5-tiny');
      const model = T5Model.fromTensors({ ...f.config, dropoutRate: 0.1 }, f.tensors);
      const batch = referenceBatch(f.reference);
      const lossAt = (seed: number) =>
        tf.tidy(
          () =>
            crossEntropyLoss(
              model.forwardLogits2d(batch, { training: true, seed }),
              batch.labels,
            ).dataSync()[0]!,
        );
      const evalLoss = tf.tidy(() => crossEntropyLoss(model.forward(batch), batch.labels).dataSync()[0]!);
      expect(Math.abs(evalLoss - f.reference.loss)).toBeLessThan(1e-5);
      expect(lossAt(7)).toBe(lossAt(7));
      expect(lossAt(7)).not.toBe(lossAt(8));
      expect(Math.abs(lossAt(7) - evalLoss)).toBeGreaterThan(1e-3);

      for (const recompute of [false, true]) {
        const { loss, grads } = computeGradients(model, batch, { training: true, seed: 7, recompute });
        expect(loss.dataSync()[0]).toBe(lossAt(7));
        const name = 'decoder.block.0.layer.2.DenseReluDense.wi_1.weight';
        const g = grads.get(name)!.dataSync() as Float32Array;
        // The element with the largest gradient, so that the check is far above float32 noise.
        const at = g.reduce((best, v, i) => (Math.abs(v) > Math.abs(g[best]!) ? i : best), 0);
        const analytic = g[at]!;
        expect(Math.abs(analytic)).toBeGreaterThan(0.05);
        const param = model.parameters().get(name)!;
        const original = param.clone();
        const h = 3e-3;
        const shifted = (delta: number) => {
          const values = original.dataSync().slice();
          values[at]! += delta;
          param.assign(tf.tensor(values, param.shape));
          return lossAt(7);
        };
        const numeric = (shifted(h) - shifted(-h)) / (2 * h);
        param.assign(original);
        original.dispose();
        expect(
          Math.abs(numeric - analytic) / Math.abs(analytic),
          `numeric ${numeric} vs ${analytic}`,
        ).toBeLessThan(1e-2);
        tf.dispose([loss, ...grads.values()]);
      }
      tf.dispose(Object.values(batch));
      model.dispose();
    });
  },
);
