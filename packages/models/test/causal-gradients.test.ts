/**
 * Loss, gradients, one AdamW step and LoRA of the decoder-only models against llama-tiny and
 * qwen3-tiny (fixtures README §8), on wasm and cpu.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor2D, Variable } from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type BackendName } from '../src/backend/index';
import { causalLmLoss, computeCausalGradients, shiftLabels } from '../src/causal/gradients';
import { CausalLMModel } from '../src/causal/model';
import { tokenCrossEntropy } from '../src/loss/crossEntropy';
import {
  CAUSAL_FIXTURES,
  causalBatch,
  causalFixtureDir,
  l2,
  loadCausalFixture,
  loadCausalModel,
  maxAbsDiff,
  readSafetensorsFile,
} from './causal-fixtures';

const BACKENDS: BackendName[] = ['wasm', 'cpu'];

function worstRelative(actual: Map<string, Tensor>, expected: Record<string, number>) {
  const worst = { name: '', rel: 0 };
  for (const [param, norm] of Object.entries(expected)) {
    const rel = Math.abs(l2(actual.get(param)!.dataSync()) - norm) / norm;
    if (rel > worst.rel) Object.assign(worst, { name: param, rel });
  }
  return worst;
}

for (const backend of BACKENDS) {
  for (const name of CAUSAL_FIXTURES) {
    describe.skipIf(!causalFixtureDir(name))(`${name} loss and gradients on ${backend}`, () => {
      let model: CausalLMModel;
      beforeAll(async () => {
        await initBackend(backend);
        model = loadCausalModel(name);
      });
      afterAll(() => model?.dispose());

      it('loss within 1e-5 and per-token losses (labels shifted left) within 1e-5', () => {
        const { reference: ref } = loadCausalFixture(name);
        const batch = causalBatch(ref);
        const before = tf.memory().numTensors;
        const loss = causalLmLoss(model, batch);
        const logits = model.forward(batch);
        const perToken = tf.tidy(() =>
          tf.slice(tokenCrossEntropy(logits, shiftLabels(batch.labels)), [0, 0], [3, 11]),
        );
        expect(Math.abs(loss.dataSync()[0]! - ref.loss)).toBeLessThan(1e-5);
        expect(maxAbsDiff(perToken.dataSync(), ref.per_token_loss.data.flat())).toBeLessThan(1e-5);
        tf.dispose([loss, logits, perToken]);
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose(Object.values(batch));
      });

      it('every gradient norm within 1e-3 relative, recorded gradients within 1e-5, no leaks', () => {
        const { reference: ref, expected } = loadCausalFixture(name);
        const batch = causalBatch(ref);
        const before = tf.memory().numTensors;
        const { loss, grads } = computeCausalGradients(model, batch);
        expect(Math.abs(loss.dataSync()[0]! - ref.loss)).toBeLessThan(1e-5);
        expect([...grads.keys()]).toEqual(Object.keys(ref.grad_norms));
        const worst = worstRelative(grads, ref.grad_norms);
        expect(worst.rel, worst.name).toBeLessThan(1e-3);
        for (const [param, tensorName] of Object.entries(ref.grads.tensors)) {
          const full = expected.get(tensorName)!;
          expect(grads.get(param)!.shape).toEqual(full.shape);
          expect(maxAbsDiff(grads.get(param)!.dataSync(), full.data), param).toBeLessThan(1e-5);
        }
        tf.dispose([loss, ...grads.values()]);
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose(Object.values(batch));
      });

      it('recompute (activation checkpointing) gives the same loss and gradients, leak-free', () => {
        const { reference: ref } = loadCausalFixture(name);
        const batch = causalBatch(ref);
        const before = tf.memory().numTensors;
        const kept = computeCausalGradients(model, batch);
        const redone = computeCausalGradients(model, batch, { recompute: true });
        expect(redone.loss.dataSync()[0]).toBe(kept.loss.dataSync()[0]);
        for (const [param, g] of kept.grads) {
          expect(maxAbsDiff(redone.grads.get(param)!.dataSync(), g.dataSync()), param).toBeLessThan(1e-7);
        }
        tf.dispose([kept.loss, redone.loss, ...kept.grads.values(), ...redone.grads.values()]);
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose(Object.values(batch));
      });

      it("padding_idx (config.json's pad_token_id): lookups of the pad id send its row no gradient", () => {
        const f = loadCausalFixture(name);
        expect(f.config.paddingIdx).toBe(0);
        // Id 0 as a real token: attended to and scored, so its lookups do carry a gradient.
        const ids = f.reference.inputs.input_ids.map((row) => row.map((id, t) => (t === 3 ? 0 : id)));
        const batch = {
          inputIds: tf.tensor2d(ids, undefined, 'int32'),
          attentionMask: tf.tensor2d(
            ids.map((r) => r.map(() => 1)),
            undefined,
            'int32',
          ),
          labels: tf.tensor2d(ids, undefined, 'int32'),
        };
        const plain = CausalLMModel.fromTensors({ ...f.config, paddingIdx: undefined }, f.tensors);
        const row = (m: CausalLMModel) => {
          const { loss, grads } = computeCausalGradients(m, batch);
          const table = grads.get('model.embed_tokens.weight')!;
          const rows = table.arraySync() as number[][];
          tf.dispose([loss, ...grads.values()]);
          return rows;
        };
        const masked = row(model);
        const unmasked = row(plain);
        // The other rows are untouched; row 0 loses exactly the lookups' share.
        expect(maxAbsDiff(masked.slice(1).flat(), unmasked.slice(1).flat())).toBeLessThan(1e-7);
        expect(maxAbsDiff(masked[0]!, unmasked[0]!)).toBeGreaterThan(1e-4);
        // Untied, the lookups are row 0's only use: its gradient is exactly zero.
        if (!f.config.tieWordEmbeddings) expect(masked[0]!.every((v) => v === 0)).toBe(true);
        plain.dispose();
        tf.dispose(Object.values(batch));
      });

      it.skipIf(name !== 'llama-tiny')(
        'one AdamW step (torch semantics, by hand) gives the recorded parameters and loss',
        () => {
          const { reference: ref, expected, tensors } = loadCausalFixture(name);
          const adamw = ref.adamw!;
          const { lr, betas, eps, weight_decay: wd } = adamw.hyperparameters;
          const batch = causalBatch(ref);
          const { loss, grads } = computeCausalGradients(model, batch);
          loss.dispose();
          const params = model.parameters();
          // Step 1 from a zero state: p ← p(1 − lr·wd); m = (1−β1)g; v = (1−β2)g²; p ← p − lr/(1−β1) · m / (√v/√(1−β2) + eps).
          for (const [param, v] of params) {
            const g = grads.get(param)!;
            const next = tf.tidy(() => {
              const decayed = tf.mul(v, tf.scalar(1 - lr * wd));
              const m = tf.mul(g, tf.scalar(1 - betas[0]));
              const s = tf.mul(tf.square(g), tf.scalar(1 - betas[1]));
              const denom = tf.add(tf.div(tf.sqrt(s), tf.scalar(Math.sqrt(1 - betas[1]))), tf.scalar(eps));
              return tf.sub(decayed, tf.mul(tf.div(m, denom), tf.scalar(lr / (1 - betas[0]))));
            });
            v.assign(next);
            next.dispose();
          }
          tf.dispose([...grads.values()]);
          try {
            const q = params.get('model.layers.0.self_attn.q_proj.weight')!;
            expect(
              maxAbsDiff(q.dataSync(), expected.get('adamw.model.layers.0.self_attn.q_proj.weight')!.data),
            ).toBeLessThan(1e-6);
            expect(
              maxAbsDiff(params.get('model.norm.weight')!.dataSync(), adamw['model.norm.weight_after_step']),
            ).toBeLessThan(1e-6);
            const worst = { name: '', rel: 0 };
            for (const [param, norm] of Object.entries(adamw.param_norms_after_step)) {
              const rel = Math.abs(l2(params.get(param)!.dataSync()) - norm) / norm;
              if (rel > worst.rel) Object.assign(worst, { name: param, rel });
            }
            expect(worst.rel, worst.name).toBeLessThan(1e-5);
            const after = causalLmLoss(model, batch);
            expect(Math.abs(after.dataSync()[0]! - adamw.loss_after_step)).toBeLessThan(1e-5);
            after.dispose();
          } finally {
            // Back to the checkpoint's values for the other tests.
            for (const [param, v] of params) {
              const t = tensors.get(param)!;
              v.assign(tf.tensor(t.data, [...t.shape]));
            }
            tf.dispose(Object.values(batch));
          }
        },
      );

      it.skipIf(name !== 'llama-tiny')(
        'LoRA on q_proj/v_proj from the PEFT adapter: logits, loss and adapter gradients',
        () => {
          const { reference: ref, expected, dir } = loadCausalFixture(name);
          const lora = ref.lora!;
          const adapter = readSafetensorsFile(join(dir, 'lora_adapter', 'adapter_model.safetensors'));
          expect([...model.adaptableModules().keys()]).toContain('model.layers.1.self_attn.v_proj');
          const variables = new Map<string, Variable>();
          const modules = [
            ...new Set(
              [...adapter.keys()].map((k) =>
                k.replace(/^base_model\.model\./, '').replace(/\.lora_[AB]\.weight$/, ''),
              ),
            ),
          ];
          expect(modules).toHaveLength(4);
          for (const module of modules) {
            const key = (w: 'A' | 'B') => `base_model.model.${module}.lora_${w}.weight`;
            const [a, b] = (['A', 'B'] as const).map((w) => {
              const t = adapter.get(key(w))!;
              const initial = tf.tensor(t.data, [...t.shape]);
              const v = tf.variable(initial, true, `lora_test/${key(w)}`);
              initial.dispose();
              variables.set(key(w), v);
              return v;
            });
            model.setLora(module, {
              a: a as unknown as Tensor2D,
              b: b as unknown as Tensor2D,
              scale: lora.scaling,
            });
          }
          const batch = causalBatch(ref);
          const base = model.parameters();
          const before = tf.memory().numTensors;
          try {
            for (const v of base.values()) v.trainable = false;
            const logits = model.forward(batch);
            expect(maxAbsDiff(logits.dataSync(), expected.get('lora.logits')!.data)).toBeLessThan(1e-4);
            logits.dispose();
            const { loss, grads } = computeCausalGradients(model, batch, { variables });
            expect(Math.abs(loss.dataSync()[0]! - lora.loss)).toBeLessThan(1e-5);
            expect([...grads.keys()].sort()).toEqual(Object.keys(lora.grad_norms).sort());
            const worst = worstRelative(grads, lora.grad_norms);
            expect(worst.rel, worst.name).toBeLessThan(1e-3);
            for (const [key, g] of grads) {
              expect(maxAbsDiff(g.dataSync(), expected.get(`lora.grad.${key}`)!.data), key).toBeLessThan(
                1e-5,
              );
            }
            tf.dispose([loss, ...grads.values()]);
            expect(tf.memory().numTensors).toBe(before);
          } finally {
            for (const v of base.values()) v.trainable = true;
            for (const module of modules) model.setLora(module, undefined);
            tf.dispose([...variables.values(), ...Object.values(batch)]);
          }
        },
      );
    });
  }
}
