import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type BackendName } from '../src/backend/index';
import { generate } from '../src/generation';
import type { T5Model } from '../src/t5/model';
import { FIXTURES, fixtureDir, loadFixture, loadModel, unpaddedPrompts } from './t5-fixtures';

const BACKENDS: BackendName[] = ['wasm', 'cpu'];

for (const backend of BACKENDS) {
  for (const name of FIXTURES) {
    describe.skipIf(!fixtureDir(name))(`greedy generation of ${name} on ${backend}`, () => {
      let model: T5Model;
      beforeAll(async () => {
        await initBackend(backend);
        model = loadModel(name);
      });
      afterAll(() => model?.dispose());

      it('is token-identical to the reference, batched over the padded prompts', async () => {
        const ref = loadFixture(name).reference;
        const before = tf.memory().numTensors;
        const out = await generate(model, unpaddedPrompts(ref), {
          maxNewTokens: ref.greedy_generation.max_new_tokens,
        });
        expect(out.newTokens).toEqual(ref.greedy_generation.new_tokens);
        expect(out.sequences).toEqual(ref.greedy_generation.sequences);
        expect(out.finishedWithEos).toEqual(ref.greedy_generation.finished_with_eos);
        expect(tf.memory().numTensors).toBe(before);
      });

      it('gives the same tokens one prompt at a time, and from padded tensors', async () => {
        const ref = loadFixture(name).reference;
        const maxNewTokens = ref.greedy_generation.max_new_tokens;
        for (const [i, prompt] of unpaddedPrompts(ref).entries()) {
          const out = await generate(model, [prompt], { maxNewTokens });
          expect(out.newTokens[0]).toEqual(ref.greedy_generation.new_tokens[i]);
        }
        const inputIds = tf.tensor2d(ref.inputs.input_ids, undefined, 'int32');
        const attentionMask = tf.tensor2d(ref.inputs.attention_mask, undefined, 'int32');
        const out = await generate(model, { inputIds, attentionMask }, { maxNewTokens });
        tf.dispose([inputIds, attentionMask]);
        expect(out.newTokens).toEqual(ref.greedy_generation.new_tokens);
      });

      it('beam search and sampling run leak-free and within the real vocabulary', async () => {
        const ref = loadFixture(name).reference;
        const prompts = unpaddedPrompts(ref).slice(0, 2);
        const before = tf.memory().numTensors;
        const beams = await generate(model, prompts, {
          numBeams: 3,
          numReturnSequences: 2,
          maxNewTokens: 6,
          allowedVocabSize: 32100,
        });
        const sampled = await generate(model, prompts, {
          doSample: true,
          seed: 5,
          maxNewTokens: 6,
          allowedVocabSize: 32100,
        });
        expect(tf.memory().numTensors).toBe(before);
        expect(beams.newTokens).toHaveLength(4);
        // The best beam's length-normalised score is at least the greedy sequence's.
        expect(beams.sequenceScores![0]!).toBeGreaterThanOrEqual(beams.sequenceScores![1]!);
        for (const tokens of [...beams.newTokens, ...sampled.newTokens])
          expect(Math.max(...tokens)).toBeLessThan(32100);
      });
    });
  }
}
