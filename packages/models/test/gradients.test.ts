import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type BackendName } from '../src/backend/index';
import { crossEntropyLoss, tokenCrossEntropy } from '../src/loss/crossEntropy';
import { computeGradients } from '../src/t5/gradients';
import type { T5Model } from '../src/t5/model';
import { FIXTURES, fixtureDir, loadFixture, loadModel, maxAbsDiff, referenceBatch } from './t5-fixtures';

const BACKENDS: BackendName[] = ['wasm', 'cpu'];

function norm(data: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i]! * data[i]!;
  return Math.sqrt(s);
}

for (const backend of BACKENDS) {
  for (const name of FIXTURES) {
    describe.skipIf(!fixtureDir(name))(`loss and gradients, ${name} on ${backend}`, () => {
      let model: T5Model;
      beforeAll(async () => {
        await initBackend(backend);
        model = loadModel(name);
      });
      afterAll(() => model?.dispose());

      it('loss and per-token losses within 1e-5 of the reference', () => {
        const { reference: ref } = loadFixture(name);
        const batch = referenceBatch(ref);
        const before = tf.memory().numTensors;
        const logits = model.forward(batch);
        const loss = crossEntropyLoss(logits, batch.labels);
        const perToken = tokenCrossEntropy(logits, batch.labels);
        expect(Math.abs(loss.dataSync()[0]! - ref.loss)).toBeLessThan(1e-5);
        expect(maxAbsDiff(perToken.dataSync(), ref.per_token_loss.flat())).toBeLessThan(1e-5);
        tf.dispose([logits, loss, perToken]);
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose(Object.values(batch));
      });

      it('every gradient norm within 1e-3 relative, the two full gradients within 1e-4, no leaks', () => {
        const { reference: ref } = loadFixture(name);
        const batch = referenceBatch(ref);
        const before = tf.memory().numTensors;
        const { loss, grads } = computeGradients(model, batch);
        expect(Math.abs(loss.dataSync()[0]! - ref.loss)).toBeLessThan(1e-5);
        expect([...grads.keys()].sort()).toEqual(Object.keys(ref.grad_norms).sort());
        const worst = { name: '', rel: 0 };
        for (const [param, expected] of Object.entries(ref.grad_norms)) {
          const rel = Math.abs(norm(grads.get(param)!.dataSync()) - expected) / expected;
          if (rel > worst.rel) Object.assign(worst, { name: param, rel });
        }
        expect(worst.rel, worst.name).toBeLessThan(1e-3);
        for (const [param, full] of Object.entries(ref.grads)) {
          const g = grads.get(param)!;
          expect(g.shape).toEqual(full.shape);
          expect(maxAbsDiff(g.dataSync(), (full.data as number[] | number[][]).flat())).toBeLessThan(1e-4);
        }
        loss.dispose();
        tf.dispose([...grads.values()]);
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose(Object.values(batch));
      });

      it('with activation recomputation (recompute: true) gives the same gradients', () => {
        const { reference: ref } = loadFixture(name);
        const batch = referenceBatch(ref);
        const before = tf.memory().numTensors;
        const kept = computeGradients(model, batch);
        const recomputed = computeGradients(model, batch, { recompute: true });
        let worst = 0;
        for (const [param, g] of kept.grads) {
          worst = Math.max(worst, maxAbsDiff(g.dataSync(), recomputed.grads.get(param)!.dataSync()));
        }
        expect(worst).toBeLessThan(1e-6);
        tf.dispose([kept.loss, recomputed.loss, ...kept.grads.values(), ...recomputed.grads.values()]);
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose(Object.values(batch));
      });
    });
  }
}
