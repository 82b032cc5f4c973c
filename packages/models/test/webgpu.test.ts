/**
 * flan-t5-tiny on WebGPU in Node (Dawn from the npm `webgpu` package; SwiftShader when there is no
 * GPU). Slow on SwiftShader, so it checks what matters most: logits, loss, the gradients and greedy
 * tokens through the decoder cache. Runs whenever SwiftShader's ICD is installed, and always under CI.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend, releaseWebGpu } from '../src/backend/node';
import { crossEntropyLoss, tokenCrossEntropy } from '../src/loss/crossEntropy';
import { computeGradients } from '../src/t5/gradients';
import type { DecoderCache } from '../src/t5/interface';
import type { T5Model } from '../src/t5/model';
import { loadPacking, packedBatch } from './packing-fixture';
import {
  fixtureDir,
  loadFixture,
  loadModel,
  maxAbsDiff,
  referenceBatch,
  sameBits,
  webGpuTestable,
} from './t5-fixtures';

describe.skipIf(!webGpuTestable || !fixtureDir('flan-t5-tiny'))('flan-t5-tiny on webgpu', () => {
  let model: T5Model;
  beforeAll(async () => {
    await initNodeBackend('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    model = loadModel('flan-t5-tiny');
  }, 120_000);
  afterAll(async () => {
    model?.dispose();
    await releaseWebGpu();
  });

  it('logits within 1e-4 and loss within 1e-5 of the reference', async () => {
    const f = loadFixture('flan-t5-tiny');
    const batch = referenceBatch(f.reference);
    const logits = model.forward(batch);
    const loss = crossEntropyLoss(logits, batch.labels);
    expect(maxAbsDiff(await logits.data(), f.expected.get('logits')!.data)).toBeLessThan(1e-4);
    expect(Math.abs((await loss.data())[0]! - f.reference.loss)).toBeLessThan(1e-5);
    tf.dispose([logits, loss, ...Object.values(batch)]);
  }, 120_000);

  it('packed rows reproduce the unpacked per-token losses within 1e-4', async () => {
    const packing = loadPacking()!;
    const batch = packedBatch(packing);
    const perToken = tf.tidy(() => tokenCrossEntropy(model.forward(batch), batch.labels));
    const got = await perToken.data();
    const len = packing.rows[0]!.per_token_loss.length;
    packing.rows.forEach((row, r) => {
      const weighted = row.per_token_loss.map((_, i) =>
        row.decoder_loss_weights[i] ? got[r * len + i]! : 0,
      );
      expect(maxAbsDiff(weighted, row.per_token_loss)).toBeLessThan(1e-4);
    });
    tf.dispose([perToken, ...Object.values(batch)]);
  }, 120_000);

  it('every gradient norm within 1e-3 relative and the two full gradients within 1e-4, no leaks', async () => {
    const { reference: ref } = loadFixture('flan-t5-tiny');
    const batch = referenceBatch(ref);
    const before = tf.memory().numTensors;
    const { loss, grads } = computeGradients(model, batch);
    expect(Math.abs((await loss.data())[0]! - ref.loss)).toBeLessThan(1e-5);
    expect([...grads.keys()].sort()).toEqual(Object.keys(ref.grad_norms).sort());
    const worst = { name: '', rel: 0 };
    for (const [param, expected] of Object.entries(ref.grad_norms)) {
      const data = await grads.get(param)!.data();
      let sum = 0;
      for (const v of data) sum += v * v;
      const rel = Math.abs(Math.sqrt(sum) - expected) / expected;
      if (rel > worst.rel) Object.assign(worst, { name: param, rel });
    }
    expect(worst.rel, worst.name).toBeLessThan(1e-3);
    for (const [param, full] of Object.entries(ref.grads)) {
      const data = await grads.get(param)!.data();
      expect(maxAbsDiff(data, (full.data as number[] | number[][]).flat())).toBeLessThan(1e-4);
    }
    tf.dispose([loss, ...grads.values()]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(batch));
  }, 300_000);

  it('readTensors reads every parameter back bit-exactly (toTensors cannot on WebGPU in Node)', async () => {
    const { tensors } = loadFixture('flan-t5-tiny');
    const read = await model.readTensors();
    expect(read.map((t) => t.name)).toEqual([...tensors.keys()].sort());
    for (const t of read) {
      const original = tensors.get(t.name)!;
      expect(t.shape, t.name).toEqual(original.shape);
      expect(sameBits(t.data, original.data), t.name).toBe(true);
    }
  }, 120_000);

  it('greedy decoding through the cache gives the reference tokens (batched, eos then pad)', async () => {
    const f = loadFixture('flan-t5-tiny');
    const ref = f.reference.greedy_generation;
    const batch = referenceBatch(f.reference);
    const encoded = model.encode(batch.inputIds, batch.attentionMask);
    const rows = batch.inputIds.shape[0];
    const out: number[][] = Array.from({ length: rows }, () => []);
    const done = new Array<boolean>(rows).fill(false);
    let cache: DecoderCache | undefined;
    let next = tf.zeros([rows, 1], 'int32') as tf.Tensor2D;
    for (let step = 0; step < ref.max_new_tokens && !done.every(Boolean); step++) {
      const { logits, cache: newCache } = model.decode(next, encoded, batch.attentionMask, cache);
      cache?.dispose();
      cache = newCache;
      const ids = Array.from(await tf.tidy(() => tf.argMax(logits, -1)).data());
      logits.dispose();
      next.dispose();
      const fed = ids.map((id, r) => (done[r] ? model.padTokenId : id));
      fed.forEach((id, r) => {
        if (!done[r]) out[r]!.push(id);
        if (id === model.eosTokenId) done[r] = true;
      });
      next = tf.tensor2d(fed, [rows, 1], 'int32');
    }
    tf.dispose([next, encoded, ...Object.values(batch)]);
    cache?.dispose();
    expect(out).toEqual(ref.new_tokens);
  }, 300_000);
});
