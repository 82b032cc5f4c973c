import * as tf from '@tensorflow/tfjs-core';
import type { Tensor2D } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index';
import { dropoutMask } from '../src/kernels/dropout';
import { releaseTransposedWeight } from '../src/kernels/linear';
import { project, projectGrads, type Projection } from '../src/kernels/projection';
import { crossEntropyLoss } from '../src/loss/crossEntropy';
import { computeGradients } from '../src/t5/gradients';
import { causalLmLoss, computeCausalGradients } from '../src/causal/gradients';
import { T5Model } from '../src/t5/model';
import { causalBatch, causalFixtureDir, l2, loadCausalModel, loadCausalFixture } from './causal-fixtures';
import { fixtureDir, loadFixture, maxAbsDiff, referenceBatch } from './t5-fixtures';

const uniform = (shape: [number, number], seed: number) =>
  tf.randomUniform(shape, -1, 1, 'float32', seed) as Tensor2D;

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`LoRA input dropout (PEFT lora_dropout) on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    it('project and projectGrads apply the seeded mask before lora_A, as an explicit formula with that mask', () => {
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const [x, w, a, b, dy] = [
          uniform([6, 5], 1),
          uniform([4, 5], 2),
          uniform([2, 5], 3),
          uniform([4, 2], 4),
          uniform([6, 4], 5),
        ];
        const p: Projection = { w, lora: { a, b, scale: 1.5, dropout: 0.4 } };
        const drop = { rate: 0.4, seed: 99 };
        const mask = dropoutMask(x.shape, drop.rate, drop.seed);
        const explicit = (xx: Tensor2D, ww: Tensor2D, aa: Tensor2D, bb: Tensor2D) =>
          tf.add(
            tf.matMul(xx, ww, false, true),
            tf.mul(tf.matMul(tf.matMul(tf.mul(xx, mask), aa, false, true), bb, false, true), 1.5),
          ) as Tensor2D;
        const y = project(x, p, drop);
        const want = explicit(x, w, a, b);
        expect(maxAbsDiff(y.dataSync(), want.dataSync())).toBeLessThan(1e-5);
        // Without the spec (inference) the adapter sees x itself.
        const plain = project(x, p);
        expect(maxAbsDiff(plain.dataSync(), want.dataSync())).toBeGreaterThan(1e-3);

        const g = projectGrads(dy, x, p, true, drop);
        // By hand: with u = (x⊙m)·Aᵀ and e = s·dy·B, dW = dyᵀx, dB = s·dyᵀu, dA = eᵀ(x⊙m), dx = dy·W + m⊙(e·A).
        const xm = tf.mul(x, mask) as Tensor2D;
        const e = tf.mul(tf.matMul(dy, b), 1.5) as Tensor2D;
        const dw = tf.matMul(dy, x, true, false);
        const db = tf.mul(tf.matMul(dy, tf.matMul(xm, a, false, true), true, false), 1.5);
        const da = tf.matMul(e, xm, true, false);
        const dx = tf.add(tf.matMul(dy, w), tf.mul(mask, tf.matMul(e, a)));
        expect(maxAbsDiff(g.dx.dataSync(), dx.dataSync())).toBeLessThan(1e-5);
        expect(maxAbsDiff(g.dw!.dataSync(), dw.dataSync())).toBeLessThan(1e-5);
        expect(maxAbsDiff(g.da!.dataSync(), da.dataSync())).toBeLessThan(1e-5);
        expect(maxAbsDiff(g.db!.dataSync(), db.dataSync())).toBeLessThan(1e-5);
        // linear() keeps a transposed copy of each base weight it sees.
        releaseTransposedWeight(w);
      });
      expect(tf.memory().numTensors).toBe(before);
    });

    // The model-level check once, on wasm: the cpu backend is ~30x slower and the kernels are shared.
    if (backend === 'wasm')
      it.skipIf(!fixtureDir('flan-t5-tiny'))(
        "a T5 with dropout_rate 0 drops only the adapters' inputs in training; seeded, and absent in evaluation",
        () => {
          const f = loadFixture('flan-t5-tiny');
          const model = T5Model.fromTensors({ ...f.config, dropoutRate: 0 }, f.tensors);
          const batch = referenceBatch(f.reference);
          const adapters: Tensor2D[] = [];
          for (const module of model.adaptableModules().keys()) {
            if (!/\.(q|v)$/.test(module)) continue;
            const [out, inp] = model.adaptableModules().get(module)!;
            const a = uniform([2, inp], adapters.length + 10);
            const b = tf.mul(uniform([out, 2], adapters.length + 20), 0.1) as Tensor2D;
            adapters.push(a, b);
            model.setLora(module, { a, b, scale: 2, dropout: 0.5 });
          }
          const lossOf = (training: boolean, seed: number) =>
            tf.tidy(
              () =>
                crossEntropyLoss(
                  model.forwardLogits2d(batch, { training, seed }),
                  batch.labels,
                ).dataSync()[0]!,
            );
          const seven = lossOf(true, 7);
          const evaluation = lossOf(false, 7);
          expect(lossOf(false, 1)).toBe(evaluation);
          expect(lossOf(true, 8)).not.toBe(seven);
          expect(Math.abs(seven - evaluation)).toBeGreaterThan(1e-4);
          const { loss } = computeGradients(model, batch, { training: true, seed: 7 });
          expect(loss.dataSync()[0]).toBe(seven);
          loss.dispose();
          expect(() =>
            model.setLora('encoder.block.0.layer.0.SelfAttention.q', {
              a: adapters[0]!,
              b: adapters[1]!,
              scale: 1,
              dropout: 1,
            }),
          ).toThrow(/LoRA dropout 1 is outside \[0, 1\)/);
          tf.dispose([...adapters, ...Object.values(batch)]);
          model.dispose();
        },
        120_000,
      );

    // Qwen3 (per-head q/k norms) with adapters on every projection of attention and MLP.
    if (backend === 'wasm')
      it.skipIf(!causalFixtureDir('qwen3-tiny'))(
        "a causal LM drops the adapters' inputs in training only; seeded, recomputed alike, and its adapter gradient is the loss's derivative",
        () => {
          const model = loadCausalModel('qwen3-tiny');
          const batch = causalBatch(loadCausalFixture('qwen3-tiny').reference);
          const base = model.parameters();
          for (const v of base.values()) v.trainable = false;
          const variables = new Map<string, tf.Variable>();
          let i = 0;
          for (const [module, [out, inp]] of model.adaptableModules()) {
            const a = tf.variable(uniform([2, inp], ++i), true, `dropout_test/${module}.a`);
            const b = tf.variable(tf.mul(uniform([out, 2], 100 + i), 0.3), true, `dropout_test/${module}.b`);
            variables.set(`${module}.lora_A`, a).set(`${module}.lora_B`, b);
            model.setLora(module, {
              a: a as unknown as Tensor2D,
              b: b as unknown as Tensor2D,
              scale: 2,
              dropout: 0.5,
            });
          }
          expect(variables.size).toBeGreaterThanOrEqual(14);
          const before = tf.memory().numTensors;
          const lossOf = (options: { training?: boolean; seed?: number }) =>
            tf.tidy(() => causalLmLoss(model, batch, options).dataSync()[0]!);
          const seven = lossOf({ training: true, seed: 7 });
          const evaluation = lossOf({});
          expect(lossOf({ seed: 7 })).toBe(evaluation);
          expect(lossOf({ training: true, seed: 7 })).toBe(seven);
          expect(lossOf({ training: true, seed: 8 })).not.toBe(seven);
          expect(Math.abs(seven - evaluation)).toBeGreaterThan(1e-4);

          const options = { variables, training: true, seed: 7 };
          const kept = computeCausalGradients(model, batch, options);
          const redone = computeCausalGradients(model, batch, { ...options, recompute: true });
          expect(kept.loss.dataSync()[0]).toBe(seven);
          expect(redone.loss.dataSync()[0]).toBe(seven);
          for (const [key, g] of kept.grads)
            expect(maxAbsDiff(g.dataSync(), redone.grads.get(key)!.dataSync()), key).toBeLessThan(1e-6);
          // The directional derivative along each adapter gradient, by central differences with the
          // same masks, is the gradient's norm: a backward pass that ignored the masks would miss it.
          for (const key of [
            'model.layers.0.self_attn.q_proj.lora_A',
            'model.layers.1.mlp.down_proj.lora_A',
          ]) {
            const v = variables.get(key)!;
            const g = kept.grads.get(key)!;
            const norm = l2(g.dataSync());
            const h = 1e-2;
            const original = tf.clone(v);
            const at = (t: number) => {
              tf.tidy(() => v.assign(tf.add(original, tf.mul(g, t / norm))));
              return lossOf({ training: true, seed: 7 });
            };
            const slope = (at(h) - at(-h)) / (2 * h);
            v.assign(original);
            original.dispose();
            expect(Math.abs(slope - norm) / norm, key).toBeLessThan(2e-2);
          }
          tf.dispose([kept.loss, redone.loss, ...kept.grads.values(), ...redone.grads.values()]);
          expect(tf.memory().numTensors).toBe(before);
          for (const module of model.adaptableModules().keys()) model.setLora(module, undefined);
          tf.dispose([...variables.values(), ...Object.values(batch)]);
          model.dispose();
        },
        120_000,
      );
  });
}
