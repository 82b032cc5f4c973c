import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, parseSafetensors, readFloat32, type BackendName, type T5Model } from '@flan-ts/models';
import { crossEntropyLoss, computeGradients } from '@flan-ts/models';
import { loadT5 } from '@flan-ts/models/node';
import { sharedFile } from '@flan-ts/test-support';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Trainer, applyLora, mergeLora, peftKey } from '../src/index';
import { loadLoraAdapter, saveLoraAdapter } from '../src/node';

const dir = sharedFile('fixtures/training/flan-t5-tiny');
const modelDir = sharedFile('fixtures/models/flan-t5-tiny');

interface LoraReference {
  logits: { argmax: number[][]; sum: number; sum_abs: number; first8_of_each_position_batch0: number[][] };
  loss: number;
  lora_grad_norms: Record<string, number>;
  merged_encoder_block0_q_weight_after_training: { shape: number[]; data: number[][] };
  merged_weight_norms_after_training: Record<string, number>;
}

function batch0() {
  return batchAt(0);
}

function batchAt(index: number) {
  const b = JSON.parse(readFileSync(join(dir!, 'batches.json'), 'utf8')).batches[index];
  const t = (x: number[][]) => tf.tensor2d(x, undefined, 'int32');
  return {
    inputIds: t(b.input_ids),
    attentionMask: t(b.attention_mask),
    decoderInputIds: t(b.decoder_input_ids),
    labels: t(b.labels),
  };
}

function norm(data: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i]! * data[i]!;
  return Math.sqrt(s);
}

for (const backend of ['wasm', 'cpu'] as BackendName[]) {
  describe.skipIf(!dir || !modelDir)(`LoRA on flan-t5-tiny (${backend})`, () => {
    let model: T5Model;
    let ref: LoraReference;
    beforeAll(async () => {
      await initBackend(backend);
      model = await loadT5(modelDir!);
      ref = JSON.parse(readFileSync(join(dir!, 'lora.json'), 'utf8'));
    });
    afterAll(() => model?.dispose());

    it('PEFT adapter: logits, loss and every LoRA gradient norm as the reference, no leaks', async () => {
      const adapter = await loadLoraAdapter(model, join(dir!, 'lora_adapter_init'));
      expect(adapter.variables().size).toBe(28);
      const b = batch0();
      const before = tf.memory().numTensors;
      const logits = model.forward(b);
      const argmax = tf.tidy(() => tf.argMax(logits, -1).arraySync());
      expect(argmax).toEqual(ref.logits.argmax);
      // Sums in float64: a float32 reduction over 867k logits is itself off by more than the tolerance.
      let sum = 0;
      let sumAbs = 0;
      for (const v of logits.dataSync()) {
        sum += v;
        sumAbs += Math.abs(v);
      }
      expect(Math.abs(sum - ref.logits.sum)).toBeLessThan(1e-2);
      expect(Math.abs(sumAbs - ref.logits.sum_abs) / ref.logits.sum_abs).toBeLessThan(1e-6);
      const first8 = tf.tidy(() => (tf.slice(logits, [0, 0, 0], [1, -1, 8]).arraySync() as number[][][])[0]!);
      first8.forEach((row, i) =>
        row.forEach((v, j) =>
          expect(Math.abs(v - ref.logits.first8_of_each_position_batch0[i]![j]!)).toBeLessThan(1e-4),
        ),
      );
      const loss = crossEntropyLoss(logits, b.labels);
      expect(Math.abs(loss.dataSync()[0]! - ref.loss)).toBeLessThan(1e-5);
      tf.dispose([logits, loss]);

      // Base weights frozen: only the 28 adapter tensors get gradients.
      for (const v of model.parameters().values()) v.trainable = false;
      const g = computeGradients(model, b, { variables: adapter.variables() });
      expect([...g.grads.keys()].sort()).toEqual(Object.keys(ref.lora_grad_norms).sort());
      for (const [key, expected] of Object.entries(ref.lora_grad_norms)) {
        expect(Math.abs(norm(g.grads.get(key)!.dataSync()) - expected) / expected, key).toBeLessThan(1e-3);
      }
      tf.dispose([g.loss, ...g.grads.values()]);
      for (const v of model.parameters().values()) v.trainable = true;
      expect(tf.memory().numTensors).toBe(before);
      adapter.dispose();
      tf.dispose(Object.values(b));
    });

    it('3 AdamW steps on the adapter alone (clipping 1.0): losses, norms and the trained tensors of PEFT', async () => {
      const ref3 = JSON.parse(readFileSync(join(dir!, 'lora.json'), 'utf8')).adamw_steps;
      const fresh = await loadT5(modelDir!);
      const adapter = await loadLoraAdapter(fresh, join(dir!, 'lora_adapter_init'));
      for (const v of fresh.parameters().values()) v.trainable = false;
      const trainer = new Trainer(fresh, {
        optimizer: { name: 'adamw', learningRate: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 },
        clipNorm: 1,
        training: false,
        trainable: adapter.variables(),
      });
      // Counted after the first step: it rebuilds the frozen weights' decoding copies the trainer freed.
      let before: number | undefined;
      for (const step of ref3.steps as { batch: number; loss: number; global_grad_norm: number }[]) {
        const b = batchAt(step.batch);
        const { loss, gradNorm } = await trainer.step(b);
        expect(Math.abs(loss - step.loss)).toBeLessThan(1e-4);
        expect(Math.abs(gradNorm - step.global_grad_norm) / step.global_grad_norm).toBeLessThan(1e-3);
        tf.dispose(Object.values(b));
        if (before === undefined) before = tf.memory().numTensors;
        else expect(tf.memory().numTensors).toBe(before);
      }
      for (const [key, n] of Object.entries(
        ref3.lora_param_norms_after_last_step as Record<string, number>,
      )) {
        expect(Math.abs(norm(adapter.variables().get(key)!.dataSync()) - n) / n, key).toBeLessThan(1e-5);
      }
      const trained = parseSafetensors(
        new Uint8Array(readFileSync(join(dir!, 'lora_adapter_trained/adapter_model.safetensors'))),
      );
      for (const [key, v] of adapter.variables()) {
        const expected = readFloat32(trained, key);
        const got = v.dataSync();
        let worst = 0;
        for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - expected[i]!));
        expect(worst, key).toBeLessThan(1e-5);
      }
      // Only the adapter trained: the base weights are the checkpoint's.
      const base = await loadT5(modelDir!);
      const q = 'encoder.block.0.layer.0.SelfAttention.q.weight';
      expect([...fresh.parameters().get(q)!.dataSync()]).toEqual([...base.parameters().get(q)!.dataSync()]);
      trainer.dispose();
      adapter.dispose();
      base.dispose();
      fresh.dispose();
    });

    it('mergeLora folds the trained adapter into q and v (PEFT merge), and the adapter is gone', async () => {
      const fresh = await loadT5(modelDir!);
      const adapter = await loadLoraAdapter(fresh, join(dir!, 'lora_adapter_trained'));
      const b = batch0();
      const withAdapter = fresh.forward(b);
      mergeLora(adapter);
      const merged = fresh.forward(b);
      expect(tf.tidy(() => tf.max(tf.abs(tf.sub(withAdapter, merged))).dataSync()[0]!)).toBeLessThan(2e-5);
      const q = fresh.parameters().get('encoder.block.0.layer.0.SelfAttention.q.weight')!;
      const expected = ref.merged_encoder_block0_q_weight_after_training.data.flat();
      const got = q.dataSync();
      expect(Math.max(...expected.map((v, i) => Math.abs(v - got[i]!)))).toBeLessThan(1e-6);
      for (const [name, n] of Object.entries(ref.merged_weight_norms_after_training)) {
        expect(Math.abs(norm(fresh.parameters().get(name)!.dataSync()) - n) / n, name).toBeLessThan(1e-5);
      }
      tf.dispose([withAdapter, merged, ...Object.values(b)]);
      fresh.dispose();
    });
  });
}

describe.skipIf(!dir || !modelDir)('LoRA adapter files (PEFT layout)', () => {
  let model: T5Model;
  let out: string;
  beforeAll(async () => {
    await initBackend('cpu');
    model = await loadT5(modelDir!);
    out = mkdtempSync(join(tmpdir(), 'flan-lora-'));
  });
  afterAll(() => {
    model?.dispose();
    rmSync(out, { recursive: true, force: true });
  });

  it('writes what PEFT wrote: same config text, keys, shapes, metadata and values after a round trip', async () => {
    const adapter = await loadLoraAdapter(model, join(dir!, 'lora_adapter_trained'));
    await saveLoraAdapter(adapter, out);
    adapter.dispose();
    const theirs = parseSafetensors(
      new Uint8Array(readFileSync(join(dir!, 'lora_adapter_trained/adapter_model.safetensors'))),
    );
    const ours = parseSafetensors(new Uint8Array(readFileSync(join(out, 'adapter_model.safetensors'))));
    expect(ours.metadata).toEqual({ format: 'pt' });
    expect([...ours.tensors.keys()]).toEqual([...theirs.tensors.keys()].sort());
    for (const [name, entry] of theirs.tensors) {
      expect(ours.tensors.get(name)!.shape).toEqual(entry.shape);
      expect([...readFloat32(ours, name)]).toEqual([...readFloat32(theirs, name)]);
    }
    const theirConfig = JSON.parse(
      readFileSync(join(dir!, 'lora_adapter_trained/adapter_config.json'), 'utf8'),
    );
    const ourText = readFileSync(join(out, 'adapter_config.json'), 'utf8');
    expect(JSON.parse(ourText)).toEqual(theirConfig);
    expect(ourText).toBe(
      readFileSync(join(dir!, 'lora_adapter_trained/adapter_config.json'), 'utf8').trimEnd(),
    );
  });

  it('applyLora initialises as PEFT (A uniform within 1/sqrt(in), B zero): outputs unchanged', () => {
    const b = batch0();
    const base = model.forward(b);
    const adapter = applyLora(model, { r: 4, alpha: 8, targetModules: ['q', 'v'] }, 7);
    expect(adapter.modules.size).toBe(14);
    const a = adapter.variables().get(peftKey('encoder.block.0.layer.0.SelfAttention.q', 'A'))!;
    expect(a.shape).toEqual([4, 64]);
    const values = a.dataSync();
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(1 / 8);
    expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(0.1);
    const after = model.forward(b);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(base, after))).dataSync()[0]!)).toBe(0);
    adapter.dispose();
    tf.dispose([base, after, ...Object.values(b)]);
  });

  it('refuses a target that matches nothing, naming target_modules', () => {
    expect(() => applyLora(model, { targetModules: ['nope'] })).toThrow(/target_modules/);
  });

  it("lora_dropout drops the adapters' inputs in training steps only, seeded by the trainer", async () => {
    const b = batch0();
    const lossAfterSteps = async (dropout: number, seed: number) => {
      const adapter = applyLora(model, { r: 4, alpha: 8, dropout }, 7);
      const trainer = new Trainer(model, {
        optimizer: { name: 'adamw', learningRate: 1e-2 },
        trainable: adapter.variables(),
        seed,
      });
      const losses: number[] = [];
      for (let i = 0; i < 2; i++) losses.push((await trainer.step(b)).loss);
      // Evaluation is deterministic whatever the dropout.
      const evalLoss = tf.tidy(() => crossEntropyLoss(model.forwardLogits2d(b), b.labels).dataSync()[0]!);
      trainer.dispose();
      adapter.dispose();
      return { losses, evalLoss };
    };
    const plain = await lossAfterSteps(0, 1);
    const dropped = await lossAfterSteps(0.5, 1);
    const again = await lossAfterSteps(0.5, 1);
    const otherSeed = await lossAfterSteps(0.5, 2);
    expect(dropped).toEqual(again);
    // B starts at zero, so the first step's loss is the base model's either way; later ones differ.
    expect(dropped.losses[0]).toBe(plain.losses[0]);
    expect(dropped.losses[1]).not.toBe(plain.losses[1]);
    expect(otherSeed.losses[1]).not.toBe(dropped.losses[1]);
    tf.dispose(Object.values(b));
  }, 180_000);
});
