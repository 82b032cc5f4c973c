import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type BackendName } from '../src/backend/index';
import { rankClassify, scoreTargets, ScoringError } from '../src/scoring';
import type { T5Model } from '../src/t5/model';
import { FakeSeq2SeqLM, logProbs } from './generation-fake-model';
import { FIXTURES, fixtureDir, loadFixture, loadModel } from './t5-fixtures';

const V = 8;
// Next-token probabilities depend on the prompt's first id and the previous decoder token.
const model = new FakeSeq2SeqLM(V, (prompt, prefix) => {
  const last = prefix[prefix.length - 1]!;
  if (prompt[0] === 7) return logProbs(V, { 1: 0.5, 2: 0.5 });
  return last === 0 ? logProbs(V, { 2: 0.6, 3: 0.3, 1: 0.1 }) : logProbs(V, { 1: 0.8, 4: 0.2 });
});

describe('scoreTargets on a model with known probabilities', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('teacher-forces each target after the start token and returns per-token and summed log-probs', async () => {
    const before = tf.memory().numTensors;
    const scores = await scoreTargets(
      model,
      [
        { inputIds: [5, 6, 1], targets: [[2, 1], [3, 4, 1], [1]] },
        { inputIds: [7, 1], targets: [[2, 2, 1]] },
      ],
      { batchSize: 3 },
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(model.liveCaches.size).toBe(0);
    const expected = [[[0.6, 0.8], [0.3, 0.2, 0.8], [0.1]], [[0.5, 0.5, 0.5]]];
    expected.forEach((request, i) =>
      request.forEach((probs, j) => {
        const got = scores[i]![j]!;
        expect(got.tokenLogprobs).toHaveLength(probs.length);
        got.tokenLogprobs.forEach((lp, t) => expect(lp).toBeCloseTo(Math.log(probs[t]!), 5));
        expect(got.sumLogprob).toBeCloseTo(
          probs.reduce((a, p) => a + Math.log(p), 0),
          5,
        );
      }),
    );
  });

  it('gives the same scores whatever the batch size', async () => {
    const requests = [
      {
        inputIds: [5, 1],
        targets: [
          [2, 1],
          [3, 4, 1],
        ],
      },
      { inputIds: [7, 7, 7, 1], targets: [[2, 2, 1], [1]] },
    ];
    const one = await scoreTargets(model, requests, { batchSize: 1 });
    const all = await scoreTargets(model, requests, { batchSize: 16 });
    expect(all).toEqual(one);
  });

  it('ranks candidates by summed log-probability', async () => {
    const ranked = await rankClassify(model, [5, 1], [[3, 4, 1], [2, 1], [1]]);
    expect(ranked.best).toBe(1);
    expect(ranked.scores.map((s) => s.tokenLogprobs.length)).toEqual([3, 2, 1]);
  });

  it('rejects empty inputs or targets and out-of-vocabulary ids, naming them', async () => {
    await expect(scoreTargets(model, [{ inputIds: [], targets: [[1]] }])).rejects.toThrow(
      /request 0 inputIds is empty/,
    );
    await expect(scoreTargets(model, [{ inputIds: [3], targets: [] }])).rejects.toThrow(
      /request 0 has no targets/,
    );
    await expect(scoreTargets(model, [{ inputIds: [3], targets: [[1], [2, 9]] }])).rejects.toThrow(
      /request 0 target 1, position 1: 9 is not a token id/,
    );
    await expect(
      scoreTargets(model, [{ inputIds: [3], targets: [[1]] }], { batchSize: 0 }),
    ).rejects.toBeInstanceOf(ScoringError);
  });
});

const BACKENDS: BackendName[] = ['wasm', 'cpu'];
for (const backend of BACKENDS) {
  for (const name of FIXTURES) {
    describe.skipIf(!fixtureDir(name))(`rank classification of ${name} on ${backend}`, () => {
      let t5: T5Model;
      beforeAll(async () => {
        await initBackend(backend);
        t5 = loadModel(name);
      });
      afterAll(() => t5?.dispose());

      it('reproduces token log-probs and sums within 1e-4, and the argmax', async () => {
        const ref = loadFixture(name).reference.rank_classification;
        const before = tf.memory().numTensors;
        const ranked = await rankClassify(t5, ref.input_ids, ref.candidate_ids);
        expect(tf.memory().numTensors).toBe(before);
        ranked.scores.forEach((s, i) => {
          expect(s.tokenLogprobs).toHaveLength(ref.token_logprobs[i]!.length);
          s.tokenLogprobs.forEach((lp, t) =>
            expect(Math.abs(lp - ref.token_logprobs[i]![t]!)).toBeLessThan(1e-4),
          );
          expect(Math.abs(s.sumLogprob - ref.sum_logprob[i]!)).toBeLessThan(1e-4);
        });
        expect(ranked.best).toBe(ref.argmax_sum_logprob);
      });

      it('scores the same candidates one pair per batch', async () => {
        const ref = loadFixture(name).reference.rank_classification;
        const [scores] = await scoreTargets(t5, [{ inputIds: ref.input_ids, targets: ref.candidate_ids }], {
          batchSize: 1,
        });
        scores!.forEach((s, i) => expect(Math.abs(s.sumLogprob - ref.sum_logprob[i]!)).toBeLessThan(1e-4));
      });
    });
  }
}
