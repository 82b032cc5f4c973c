/** Forward parity of the decoder-only models with llama-tiny and qwen3-tiny (fixtures README §8). */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type BackendName } from '../src/backend/index';
import type { CausalLMModel } from '../src/causal/model';
import { ropeInvFreq } from '../src/causal/rope';
import {
  CAUSAL_FIXTURES,
  causalBatch,
  causalFixtureDir,
  loadCausalFixture,
  loadCausalModel,
  maxAbsDiff,
} from './causal-fixtures';

const BACKENDS: BackendName[] = ['wasm', 'cpu'];

for (const name of CAUSAL_FIXTURES) {
  describe.skipIf(!causalFixtureDir(name))(`${name} config`, () => {
    it('parses the config and its rotary frequencies equal rope_inv_freq', () => {
      const { config, reference } = loadCausalFixture(name);
      expect(config.headDim).toBe(name === 'qwen3-tiny' ? 32 : 16);
      expect(config.qkNorm).toBe(name === 'qwen3-tiny');
      expect(config.tieWordEmbeddings).toBe(name === 'qwen3-tiny');
      expect(config.eosTokenIds).toEqual([2]);
      expect(Array.from(ropeInvFreq(config))).toEqual(reference.rope_inv_freq.map(Math.fround));
    });
  });

  for (const backend of BACKENDS) {
    describe.skipIf(!causalFixtureDir(name))(`${name} forward on ${backend}`, () => {
      let model: CausalLMModel;
      beforeAll(async () => {
        await initBackend(backend);
        model = loadCausalModel(name);
      });
      afterAll(() => model?.dispose());

      it('logits (padded positions included) within 1e-4, argmax identical, no leaks', () => {
        const { reference: ref, expected } = loadCausalFixture(name);
        const batch = causalBatch(ref);
        const before = tf.memory().numTensors;
        const logits = model.forward(batch);
        expect(logits.shape).toEqual([3, 12, 512]);
        expect(maxAbsDiff(logits.dataSync(), expected.get('logits')!.data)).toBeLessThan(1e-4);
        const argmax = tf.argMax(logits, -1);
        expect(argmax.arraySync()).toEqual(ref.logits.argmax);
        tf.dispose([logits, argmax]);
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose(Object.values(batch));
      });

      it('hidden states in the output_hidden_states convention within 1e-4', () => {
        const { reference: ref, expected } = loadCausalFixture(name);
        const batch = causalBatch(ref);
        const states = model.hiddenStates(batch);
        expect(states).toHaveLength(ref.hidden_states.count);
        states.forEach((s, i) => {
          expect(
            maxAbsDiff(s.dataSync(), expected.get(`hidden_states.${i}`)!.data),
            `entry ${i}`,
          ).toBeLessThan(1e-4);
        });
        tf.dispose([...states, ...Object.values(batch)]);
      });

      it('left-padded rows with position ids from the mask: last logits within 1e-4', () => {
        const { reference: ref, expected } = loadCausalFixture(name);
        const lp = ref.inputs.left_padded;
        const inputs = {
          inputIds: tf.tensor2d(lp.input_ids, undefined, 'int32'),
          attentionMask: tf.tensor2d(lp.attention_mask, undefined, 'int32'),
          positionIds: tf.tensor2d(lp.position_ids, undefined, 'int32'),
        };
        const { logits, cache } = model.decode(inputs, undefined, { lastPositionOnly: true });
        expect(logits.shape).toEqual([3, 1, 512]);
        expect(maxAbsDiff(logits.dataSync(), expected.get('left_padded.last_logits')!.data)).toBeLessThan(
          1e-4,
        );
        expect(cache.length).toBe(12);
        cache.dispose();
        tf.dispose([logits, ...Object.values(inputs)]);
      });
    });
  }
}
