/**
 * Greedy generation and rank classification of flan-t5-tiny on WebGPU: Dawn (npm `webgpu`) on
 * SwiftShader when the machine has no GPU. A file of its own: WebGPU initialises once per process.
 * Dawn must find a Vulkan loader when the process starts: on a machine without a system
 * libvulkan, vitest.config.ts adds `/usr/lib/chromium` (Chromium ships one next to SwiftShader).
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend, releaseWebGpu } from '../src/backend/node';
import { generate } from '../src/generation';
import { rankClassify } from '../src/scoring';
import type { T5Model } from '../src/t5/model';
import { fixtureDir, loadFixture, loadModel, unpaddedPrompts, webGpuTestable } from './t5-fixtures';

const ready = webGpuTestable && fixtureDir('flan-t5-tiny') !== undefined;

describe.skipIf(!ready)('flan-t5-tiny on webgpu', () => {
  let model: T5Model;
  beforeAll(async () => {
    await initNodeBackend('webgpu');
    model = loadModel('flan-t5-tiny');
  }, 120_000);
  afterAll(async () => {
    model?.dispose();
    await releaseWebGpu();
  });

  // SwiftShader compiles shaders for every new cache length: 8 of the 16 reference steps keep this
  // near a minute and still cover row 1's eos (its 6th token) and the padding after it.
  it('generates the reference greedy tokens, batched', async () => {
    expect(tf.getBackend()).toBe('webgpu');
    const ref = loadFixture('flan-t5-tiny').reference;
    const before = tf.memory().numTensors;
    const out = await generate(model, unpaddedPrompts(ref), { maxNewTokens: 8 });
    expect(out.newTokens).toEqual(ref.greedy_generation.new_tokens.map((t) => t.slice(0, 8)));
    expect(out.finishedWithEos).toEqual([false, true, false]);
    expect(tf.memory().numTensors).toBe(before);
  }, 300_000);

  it('reproduces rank classification within 1e-4', async () => {
    const ref = loadFixture('flan-t5-tiny').reference.rank_classification;
    const ranked = await rankClassify(model, ref.input_ids, ref.candidate_ids);
    ranked.scores.forEach((s, i) => expect(Math.abs(s.sumLogprob - ref.sum_logprob[i]!)).toBeLessThan(1e-4));
    expect(ranked.best).toBe(ref.argmax_sum_logprob);
  }, 120_000);
});
