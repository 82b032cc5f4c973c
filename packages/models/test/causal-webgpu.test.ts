/**
 * llama-tiny and qwen3-tiny on WebGPU (Dawn on SwiftShader without a GPU): loss and gradient norms, logits of the reference
 * batch and greedy tokens of the left-padded batch (KV cache). A file of its own: WebGPU initialises
 * once per process.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend, releaseWebGpu } from '../src/backend/node';
import type { CausalLMModel } from '../src/causal/model';
import { computeCausalGradients } from '../src/causal/gradients';
import { generate } from '../src/generation';
import { webGpuTestable } from './t5-fixtures';
import {
  CAUSAL_FIXTURES,
  causalBatch,
  causalFixtureDir,
  loadCausalFixture,
  loadCausalModel,
  maxAbsDiff,
} from './causal-fixtures';

const ready = webGpuTestable && CAUSAL_FIXTURES.every((name) => causalFixtureDir(name) !== undefined);

describe.skipIf(!ready)('decoder-only models on webgpu', () => {
  const models = new Map<string, CausalLMModel>();
  beforeAll(async () => {
    await initNodeBackend('webgpu');
    for (const name of CAUSAL_FIXTURES) models.set(name, loadCausalModel(name));
  }, 120_000);
  afterAll(async () => {
    for (const m of models.values()) m.dispose();
    await releaseWebGpu();
  });

  it('llama-tiny: loss within 1e-5 and every gradient norm within 1e-3 relative', async () => {
    const { reference } = loadCausalFixture('llama-tiny');
    const batch = causalBatch(reference);
    const before = tf.memory().numTensors;
    const { loss, grads } = computeCausalGradients(models.get('llama-tiny')!, batch);
    expect(Math.abs((await loss.data())[0]! - reference.loss)).toBeLessThan(1e-5);
    let worst = 0;
    for (const [param, norm] of Object.entries(reference.grad_norms)) {
      const g = await grads.get(param)!.data();
      worst = Math.max(worst, Math.abs(Math.hypot(...g) - norm) / norm);
    }
    expect(worst).toBeLessThan(1e-3);
    tf.dispose([loss, ...grads.values()]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(batch));
  }, 300_000);

  for (const name of CAUSAL_FIXTURES) {
    it(`${name}: logits within 1e-4`, async () => {
      expect(tf.getBackend()).toBe('webgpu');
      const { reference, expected } = loadCausalFixture(name);
      const batch = causalBatch(reference);
      const logits = models.get(name)!.forward(batch);
      expect(maxAbsDiff(await logits.data(), expected.get('logits')!.data)).toBeLessThan(1e-4);
      tf.dispose([logits, ...Object.values(batch)]);
    }, 120_000);

    it(`${name}: greedy tokens of the left-padded batch`, async () => {
      const g = loadCausalFixture(name).reference.greedy_generation;
      const before = tf.memory().numTensors;
      const out = await generate(models.get(name)!, g.prompts, {
        maxNewTokens: g.max_new_tokens,
        ignoreEos: true,
      });
      expect(out.newTokens).toEqual(g.batched_left_padded.new_tokens);
      expect(tf.memory().numTensors).toBe(before);
    }, 300_000);
  }
});
