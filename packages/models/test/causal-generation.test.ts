/**
 * Generation and scoring of the decoder-only models through the same `generate` / `scoreTargets`
 * as T5: greedy tokens and per-step logits of llama-tiny and qwen3-tiny one by one and in a
 * left-padded batch (with the KV cache; the references ran without one), continuation log-probs,
 * and every strategy and stopping rule leak-free.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type BackendName } from '../src/backend/index';
import type { CausalLMModel } from '../src/causal/model';
import { generate } from '../src/generation/generate';
import { causalSession } from '../src/generation/session';
import { rankClassify, scoreTargets } from '../src/scoring/score';
import {
  CAUSAL_FIXTURES,
  causalFixtureDir,
  loadCausalFixture,
  loadCausalModel,
  maxAbsDiff,
} from './causal-fixtures';

const BACKENDS: BackendName[] = ['wasm', 'cpu'];

/** The 5 largest values of `row`, descending, with their ids. */
function top5(row: Float32Array): { ids: number[]; logits: number[] } {
  const order = Array.from(row.keys())
    .sort((a, b) => row[b]! - row[a]! || a - b)
    .slice(0, 5);
  return { ids: order, logits: order.map((i) => row[i]!) };
}

for (const backend of BACKENDS) {
  for (const name of CAUSAL_FIXTURES) {
    describe.skipIf(!causalFixtureDir(name))(`${name} generation and scoring on ${backend}`, () => {
      let model: CausalLMModel;
      beforeAll(async () => {
        await initBackend(backend);
        model = loadCausalModel(name);
      });
      afterAll(() => model?.dispose());

      it('greedy tokens one prompt at a time equal the reference (eos not a stop)', async () => {
        const g = loadCausalFixture(name).reference.greedy_generation;
        const before = tf.memory().numTensors;
        for (const [i, prompt] of g.prompts.entries()) {
          const out = await generate(model, [prompt], { maxNewTokens: g.max_new_tokens, ignoreEos: true });
          expect(out.newTokens[0]).toEqual(g.new_tokens_one_by_one[i]);
          expect(out.sequences[0]).toEqual(g.sequences_one_by_one[i]);
          expect(out.finishedWithEos).toEqual([false]);
        }
        expect(tf.memory().numTensors).toBe(before);
      });

      it('greedy tokens of the left-padded batch equal the reference, in HF sequences layout', async () => {
        const g = loadCausalFixture(name).reference.greedy_generation;
        const out = await generate(model, g.prompts, { maxNewTokens: g.max_new_tokens, ignoreEos: true });
        expect(out.newTokens).toEqual(g.batched_left_padded.new_tokens);
        expect(out.sequences).toEqual(g.batched_left_padded.sequences);
        // The same batch given as left-padded tensors.
        const inputIds = tf.tensor2d(g.batched_left_padded.input_ids, undefined, 'int32');
        const attentionMask = tf.tensor2d(
          g.batched_left_padded.input_ids.map((row, r) =>
            row.map((_, c) => (c < g.prompts[1]!.length - g.prompts[r]!.length ? 0 : 1)),
          ),
          undefined,
          'int32',
        );
        const fromTensors = await generate(
          model,
          { inputIds, attentionMask },
          { maxNewTokens: g.max_new_tokens, ignoreEos: true },
        );
        expect(fromTensors.newTokens).toEqual(g.batched_left_padded.new_tokens);
        tf.dispose([inputIds, attentionMask]);
      });

      it('every cached decoding step: top-5 ids exact and logits within 2e-5, one by one and batched', async () => {
        const g = loadCausalFixture(name).reference.greedy_generation;
        const check = async (
          prompts: number[][],
          expected: { ids: number[][]; logits: number[][] }[],
          rows: number[],
        ) => {
          const session = causalSession(model, prompts, 1);
          try {
            let last: number[] | undefined;
            for (let step = 0; step < g.max_new_tokens; step++) {
              const logits = await session.next(last, step);
              last = rows.map((row, r) => {
                const top = top5(logits[r]!);
                expect(top.ids, `row ${row} step ${step}`).toEqual(expected[row]!.ids[step]);
                expect(maxAbsDiff(top.logits, expected[row]!.logits[step]!)).toBeLessThan(2e-5);
                return top.ids[0]!;
              });
            }
          } finally {
            session.dispose();
          }
        };
        for (const [i, prompt] of g.prompts.entries()) await check([prompt], g.step_top5_one_by_one, [i]);
        await check(g.prompts, g.step_top5_batched, [0, 1]);
      });

      it('continuation log-probs of the rank-classification candidates within 1e-4', async () => {
        const rc = loadCausalFixture(name).reference.rank_classification;
        const before = tf.memory().numTensors;
        const [scores] = await scoreTargets(model, [{ inputIds: rc.prompt, targets: rc.candidates }], {
          batchSize: 2,
        });
        scores!.forEach((s, j) => {
          expect(maxAbsDiff(s.tokenLogprobs, rc.token_logprobs[j]!)).toBeLessThan(1e-4);
          expect(Math.abs(s.sumLogprob - rc.sum_logprob[j]!)).toBeLessThan(1e-4);
        });
        const { best } = await rankClassify(model, rc.prompt, rc.candidates);
        // Batched with another prompt of another length, or one pair per batch: the same log-probs.
        const other = { inputIds: [291, 139], targets: [[7, 8, 9], [10]] };
        const together = await scoreTargets(model, [{ inputIds: rc.prompt, targets: rc.candidates }, other], {
          batchSize: 8,
        });
        const alone = await scoreTargets(model, [{ inputIds: rc.prompt, targets: rc.candidates }, other], {
          batchSize: 1,
        });
        together
          .flat()
          .forEach((s, i) =>
            expect(maxAbsDiff(s.tokenLogprobs, alone.flat()[i]!.tokenLogprobs)).toBeLessThan(1e-5),
          );
        together[0]!.forEach((s, j) =>
          expect(maxAbsDiff(s.tokenLogprobs, rc.token_logprobs[j]!)).toBeLessThan(1e-4),
        );
        expect(best).toBe(rc.argmax_sum_logprob);
        expect(tf.memory().numTensors).toBe(before);
      });

      it('eos ends a row, stop strings end a row, streaming reports every token', async () => {
        const g = loadCausalFixture(name).reference.greedy_generation;
        const expected = g.new_tokens_one_by_one;
        const eos = expected[1]![3]!;
        const viaEos = await generate(model, g.prompts, { maxNewTokens: 10, eosTokenId: eos });
        expect(viaEos.newTokens[1]).toEqual(expected[1]!.slice(0, expected[1]!.indexOf(eos) + 1));
        expect(viaEos.finishedWithEos[1]).toBe(true);
        const decode = (ids: readonly number[]) => ids.map((id) => `<${id}>`).join('');
        const stop = `<${expected[0]![2]}>`;
        const streamed: (number | null)[][] = [];
        const viaStop = await generate(model, [g.prompts[0]!], {
          maxNewTokens: 10,
          ignoreEos: true,
          stopStrings: [stop],
          decode,
          onStep: (s) => streamed.push([...s.tokens]),
        });
        const cut = expected[0]!.indexOf(expected[0]![2]!) + 1;
        expect(viaStop.newTokens[0]).toEqual(expected[0]!.slice(0, cut));
        expect(streamed.map((t) => t[0])).toEqual(expected[0]!.slice(0, cut));
      });

      it('beam search and sampling run leak-free, deterministic per seed, within the vocabulary', async () => {
        const g = loadCausalFixture(name).reference.greedy_generation;
        const before = tf.memory().numTensors;
        const beams = await generate(model, g.prompts, {
          maxNewTokens: 6,
          numBeams: 3,
          numReturnSequences: 2,
          ignoreEos: true,
        });
        expect(beams.newTokens).toHaveLength(4);
        expect(beams.sequenceScores!.every(Number.isFinite)).toBe(true);
        // Sequence scores of a prompt come best first.
        expect(beams.sequenceScores![0]!).toBeGreaterThanOrEqual(beams.sequenceScores![1]!);
        const one = await generate(model, [g.prompts[0]!], { maxNewTokens: 6, numBeams: 1, ignoreEos: true });
        const beam1 = await generate(model, [g.prompts[0]!], {
          maxNewTokens: 6,
          numBeams: 2,
          numReturnSequences: 1,
          ignoreEos: true,
        });
        expect(beam1.sequences[0]!.slice(0, g.prompts[0]!.length)).toEqual(g.prompts[0]);
        expect(one.newTokens[0]).toEqual(g.new_tokens_one_by_one[0]!.slice(0, 6));
        const sampled = await generate(model, g.prompts, {
          maxNewTokens: 5,
          doSample: true,
          seed: 7,
          numReturnSequences: 2,
        });
        const again = await generate(model, g.prompts, {
          maxNewTokens: 5,
          doSample: true,
          seed: 7,
          numReturnSequences: 2,
        });
        expect(sampled.newTokens).toEqual(again.newTokens);
        expect(sampled.newTokens.flat().every((t) => t >= 0 && t < 512)).toBe(true);
        // top-k 1 sampling is greedy: every expanded row (its cache copied from its prompt's prefill) gives the reference.
        const topOne = await generate(model, g.prompts, {
          maxNewTokens: 10,
          doSample: true,
          topK: 1,
          numReturnSequences: 3,
          ignoreEos: true,
        });
        expect(topOne.newTokens).toEqual(
          g.prompts.flatMap((_, p) => Array.from({ length: 3 }, () => g.new_tokens_one_by_one[p])),
        );
        expect(tf.memory().numTensors).toBe(before);
      });
    });
  }
}
