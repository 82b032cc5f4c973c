/**
 * The trainer on WebGPU in Node (Dawn on SwiftShader without a GPU): the first 3 steps of the Hugging
 * Face Adafactor trajectory. Slow on SwiftShader, so 3 steps; runs wherever SwiftShader is installed
 * and always under CI (where an adapter that does not start is a failure).
 */
import { existsSync } from 'node:fs';
import { initNodeBackend, releaseWebGpu } from '@flan-ts/models/node';
import { isCI } from '@flan-ts/test-support';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Trainer } from '../src/trainer';
import { TRAINING_DIR, batches, loadTiny, readJson, type Trajectory } from './trainer-fixtures';

const testable = isCI || existsSync('/usr/lib/chromium/vk_swiftshader_icd.json');

describe.skipIf(!testable || !TRAINING_DIR)('Trainer on webgpu (SwiftShader)', () => {
  beforeAll(async () => {
    await initNodeBackend('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
  }, 120_000);
  afterAll(() => releaseWebGpu());

  it('3 steps of HF Adafactor: loss within 1e-4 and gradient norm within 1e-3 relative at every step', async () => {
    const ref = readJson<Trajectory>('optimizer_hf_adafactor.json');
    const model = await loadTiny();
    const trainer = new Trainer(model, {
      optimizer: { name: 'adafactor', learningRate: 1e-3 },
      training: false,
    });
    const all = batches();
    const before = tf.memory().numTensors;
    for (const step of ref.steps.slice(0, 3)) {
      const { loss, gradNorm } = await trainer.step(all[step.batch]!);
      expect(Math.abs(loss - step.loss), `step ${step.step}`).toBeLessThan(1e-4);
      expect(
        Math.abs(gradNorm - step.global_grad_norm) / step.global_grad_norm,
        `step ${step.step}`,
      ).toBeLessThan(1e-3);
    }
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
    model.dispose();
  }, 300_000);
});
