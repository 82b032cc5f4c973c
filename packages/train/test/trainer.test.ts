/**
 * Trainer behaviour on flan-t5-tiny: token-weighted accumulation (grad_accumulation.json) on wasm and
 * cpu; on wasm, flat tensor memory across many steps, the non-finite guard, frozen groups, the
 * trainable-variables seam, batch forms and the schedule.
 */
import { initBackend, type BackendName, type T5Model, type TrainingBatch } from '@flan-ts/models';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IdBatch } from '../src/batch';
import { Trainer } from '../src/trainer';
import { batchTensors } from '../src/trainer-batch';
import { TrainingError } from '../src/training-error';
import { TRAINING_DIR, batches, loadTiny, readJson } from './trainer-fixtures';

interface Accumulation {
  union_batch: IdBatch;
  loss: { x: number; y: number; union: number; token_weighted_combination_float64: number };
  global_grad_norm: {
    x: number;
    y: number;
    union: number;
    token_weighted_combination: number;
    unweighted_mean_of_batch_gradients_WRONG: number;
  };
}

/** Every parameter's values (a copy). */
async function snapshot(model: T5Model): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, p] of model.parameters()) out.set(name, (await p.data()) as Float32Array);
  return out;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

/** The first `rows` rows of a batch (a smaller, faster batch). */
function head(b: IdBatch, rows: number): IdBatch {
  return {
    input_ids: b.input_ids.slice(0, rows),
    attention_mask: b.attention_mask.slice(0, rows),
    decoder_input_ids: b.decoder_input_ids.slice(0, rows),
    labels: b.labels.slice(0, rows),
  };
}

let model: T5Model | undefined;
let trainer: Trainer | undefined;
afterEach(() => {
  trainer?.dispose();
  model?.dispose();
  trainer = model = undefined;
});

for (const backend of ['wasm', 'cpu'] as BackendName[]) {
  describe.skipIf(!TRAINING_DIR)(`gradient accumulation on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    it('micro-batches combine by target tokens: the union loss and the weighted gradient norm', async () => {
      const ref = readJson<Accumulation>('grad_accumulation.json');
      const [x, y] = batches();
      model = await loadTiny();
      trainer = new Trainer(model, { optimizer: { name: 'adafactor', learningRate: 1e-3 }, training: false });
      const r = await trainer.step([x!, y!]);
      expect(r.targetTokens).toBe(31);
      expect(Math.abs(r.loss - ref.loss.union)).toBeLessThan(1e-4);
      expect(Math.abs(r.loss - ref.loss.token_weighted_combination_float64)).toBeLessThan(1e-4);
      const g = ref.global_grad_norm;
      expect(Math.abs(r.gradNorm - g.token_weighted_combination) / g.token_weighted_combination).toBeLessThan(
        1e-3,
      );
      expect(Math.abs(r.gradNorm - g.union) / g.union).toBeLessThan(1e-3);
      // The unweighted mean is 3% away: far outside the tolerance.
      expect(Math.abs(r.gradNorm - g.unweighted_mean_of_batch_gradients_WRONG) / r.gradNorm).toBeGreaterThan(
        0.02,
      );
      expect(trainer.stepCount).toBe(1);
    });
  });
}

describe.skipIf(!TRAINING_DIR)('trainer on wasm', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('the union batch in one step gives the accumulated step’s loss and norm; tensors and id arrays agree', async () => {
    const ref = readJson<Accumulation>('grad_accumulation.json');
    model = await loadTiny();
    trainer = new Trainer(model, { optimizer: { name: 'adamw' }, training: false });
    const { tensors, release } = batchTensors(ref.union_batch);
    const viaTensors = await trainer.step(tensors as TrainingBatch);
    // The caller's tensors are left alone.
    expect(tensors.inputIds.isDisposed).toBe(false);
    release();
    expect(Math.abs(viaTensors.loss - ref.loss.union)).toBeLessThan(1e-4);
    expect(
      Math.abs(viaTensors.gradNorm - ref.global_grad_norm.union) / ref.global_grad_norm.union,
    ).toBeLessThan(1e-3);
    trainer.dispose();
    model.dispose();
    model = await loadTiny();
    trainer = new Trainer(model, { optimizer: { name: 'adamw' }, training: false });
    const viaIds = await trainer.step(ref.union_batch);
    expect(viaIds.loss).toBe(viaTensors.loss);
    expect(viaIds.gradNorm).toBe(viaTensors.gradNorm);
  });

  it('tf.memory().numTensors and bytes stay flat across 200 steps (with accumulation and clipping)', async () => {
    const small = head(batches()[1]!, 1);
    model = await loadTiny();
    trainer = new Trainer(model, {
      optimizer: { name: 'adafactor-t5x', learningRate: 1e-3, minDimSizeToFactor: 64 },
      clipNorm: 1,
      schedule: { name: 'linear', totalSteps: 300, warmupSteps: 5 },
    });
    await trainer.step(small);
    const { numTensors, numBytes } = tf.memory();
    const losses: number[] = [];
    for (let i = 0; i < 200; i++) {
      losses.push((await trainer.step(i % 10 === 0 ? [small, small] : small)).loss);
      expect(tf.memory().numTensors).toBe(numTensors);
    }
    expect(tf.memory().numBytes).toBe(numBytes);
    expect(trainer.stepCount).toBe(201);
    // It is learning the one example.
    expect(losses.at(-1)!).toBeLessThan(losses[0]! - 1);
  }, 240_000);

  it('a diverging learning rate stops with a TrainingError naming the step; the weights and state are unchanged', async () => {
    const [b0, b1] = batches();
    model = await loadTiny();
    trainer = new Trainer(model, {
      optimizer: { name: 'adamw', learningRate: 1e30, weightDecay: 0 },
      training: false,
    });
    await trainer.step(b0!);
    const weights = await snapshot(model);
    const state = new Map<string, Float32Array>();
    for (const [k, t] of trainer.optimizerState().tensors) state.set(k, (await t.data()) as Float32Array);
    const tensors = tf.memory().numTensors;
    const error = await trainer.step(b1!).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TrainingError);
    expect((error as TrainingError).step).toBe(2);
    expect((error as TrainingError).message).toMatch(/^step 2: the (loss|gradient norm) is (NaN|-?Infinity)/);
    expect(trainer.stepCount).toBe(1);
    expect(tf.memory().numTensors).toBe(tensors);
    for (const [name, before] of weights)
      expect(sameBits((await model.parameters().get(name)!.data()) as Float32Array, before), name).toBe(true);
    for (const [k, t] of trainer.optimizerState().tensors)
      expect(sameBits((await t.data()) as Float32Array, state.get(k)!), k).toBe(true);
  });

  it('a batch without target tokens is refused before anything changes', async () => {
    const b = head(batches()[1]!, 1);
    model = await loadTiny();
    trainer = new Trainer(model, { optimizer: { name: 'adamw' } });
    const none = { ...b, labels: b.labels.map((row) => row.map(() => -100)) };
    await expect(trainer.step(none)).rejects.toThrow(/step 1: the batch has no target tokens/);
    expect(trainer.stepCount).toBe(0);
  });

  it('frozen groups keep their weights and get no optimizer state; the schedule sets each step’s rate', async () => {
    const b = head(batches()[1]!, 1);
    model = await loadTiny();
    const before = await snapshot(model);
    trainer = new Trainer(model, {
      optimizer: { name: 'adamw', learningRate: 1e-3 },
      frozen: /^(shared|lm_head)\.weight$/,
      schedule: { name: 'linear-warmup', warmupSteps: 2 },
      training: false,
    });
    expect(trainer.trainableNames).toHaveLength(59);
    const rates = [];
    for (let i = 0; i < 3; i++) rates.push((await trainer.step(b)).learningRate);
    expect(rates).toEqual([0, 5e-4, 1e-3]);
    const after = await snapshot(model);
    expect(sameBits(after.get('shared.weight')!, before.get('shared.weight')!)).toBe(true);
    expect(sameBits(after.get('lm_head.weight')!, before.get('lm_head.weight')!)).toBe(true);
    expect(
      sameBits(after.get('decoder.final_layer_norm.weight')!, before.get('decoder.final_layer_norm.weight')!),
    ).toBe(false);
    const keys = [...trainer.optimizerState().tensors.keys()];
    expect(keys.some((k) => k.startsWith('shared.') || k.startsWith('lm_head.'))).toBe(false);
    expect(() => new Trainer(model!, { optimizer: { name: 'adamw' }, frozen: ['shared.weights'] })).toThrow(
      /shared\.weights/,
    );
  });

  it('the trainable seam: only the given variables are differentiated, updated and get state', async () => {
    const b = head(batches()[1]!, 1);
    model = await loadTiny();
    const before = await snapshot(model);
    const name = 'decoder.final_layer_norm.weight';
    const trainable = new Map([[name, model.parameters().get(name)!]]);
    trainer = new Trainer(model, { optimizer: { name: 'adamw' }, trainable, training: false });
    const r = await trainer.step(b);
    expect(r.gradNorm).toBeGreaterThan(0);
    expect([...trainer.optimizerState().tensors.keys()].sort()).toEqual([
      `${name}/exp_avg`,
      `${name}/exp_avg_sq`,
    ]);
    const after = await snapshot(model);
    for (const [n, v] of after) expect(sameBits(v, before.get(n)!), n).toBe(n !== name);
  });

  it('a gradients hook replaces the loss and gradients, with the trainable variables passed in', async () => {
    const b = head(batches()[1]!, 1);
    model = await loadTiny();
    const name = 'decoder.final_layer_norm.weight';
    const seen: string[][] = [];
    trainer = new Trainer(model, {
      optimizer: { name: 'adamw' },
      trainable: new Map([[name, model.parameters().get(name)!]]),
      gradients: (batch, options) => {
        seen.push([...options.variables!.keys()]);
        return { loss: tf.scalar(2.5), grads: new Map([[name, tf.fill([64], 0.5)]]) };
      },
    });
    const r = await trainer.step([b, b]);
    expect(seen).toEqual([[name], [name]]);
    expect(r.loss).toBeCloseTo(2.5, 6);
    expect(r.gradNorm).toBeCloseTo(4, 5);
  });

  it('optimizerState / loadOptimizerState carry a run over to a new trainer bit-identically', async () => {
    const [, b1, b2] = batches().map((b) => head(b, 1));
    const config = { optimizer: { name: 'adafactor', learningRate: 1e-3 } as const, training: false };
    model = await loadTiny();
    trainer = new Trainer(model, config);
    await trainer.step(b1!);
    const second = await loadTiny();
    for (const [n, p] of second.parameters()) p.assign(model.parameters().get(n)!);
    const resumed = new Trainer(second, config);
    resumed.loadOptimizerState(trainer.optimizerState());
    expect(resumed.stepCount).toBe(1);
    const a = await trainer.step(b2!);
    const c = await resumed.step(b2!);
    expect(c).toEqual(a);
    const wa = await snapshot(model);
    const wc = await snapshot(second);
    for (const [n, v] of wa) expect(sameBits(v, wc.get(n)!), n).toBe(true);
    resumed.dispose();
    second.dispose();
  });
});
