import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { generate, GenerationError, type GenerationOptions } from '../src/generation';
import { topKFilter, topPFilter } from '../src/generation/logits-processors';
import { FakeSeq2SeqLM, logProbs, prefer, type ScoreFunction } from './generation-fake-model';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const V = 12;

/** Runs generate and checks that it leaves neither tensors nor decoder caches behind. */
async function run(
  scores: ScoreFunction,
  prompts: number[][],
  options: GenerationOptions = {},
  vocabSize = V,
) {
  const model = new FakeSeq2SeqLM(vocabSize, scores);
  const before = tf.memory().numTensors;
  const out = await generate(model, prompts, options);
  expect(tf.memory().numTensors).toBe(before);
  expect(model.liveCaches.size).toBe(0);
  return { out, model };
}

/** Each prompt counts up from its first id: prompt [5] → 6, 7, 8, ... and eos after `stopAfter` tokens. */
function countingModel(stopAfter: Record<number, number> = {}): ScoreFunction {
  return (prompt, prefix) => {
    const generated = prefix.length - 1;
    const limit = stopAfter[prompt[0]!];
    if (limit !== undefined && generated === limit) return prefer(V, 1);
    return prefer(V, (prompt[0]! + generated + 1) % V === 1 ? 2 : (prompt[0]! + generated + 1) % V);
  };
}

describe('greedy decoding', () => {
  it('takes the argmax each step, row by row, with prompts of different lengths padded', async () => {
    const { out } = await run(
      countingModel(),
      [
        [3, 9, 9, 1],
        [5, 1],
      ],
      { maxNewTokens: 4 },
    );
    expect(out.newTokens).toEqual([
      [4, 5, 6, 7],
      [6, 7, 8, 9],
    ]);
    expect(out.sequences).toEqual([
      [0, 4, 5, 6, 7],
      [0, 6, 7, 8, 9],
    ]);
    expect(out.finishedWithEos).toEqual([false, false]);
    expect(out.sequenceScores).toBeUndefined();
  });

  it('ends a row at eos, continues it with pad as HF does, and stops when every row is done', async () => {
    const { out, model } = await run(countingModel({ 2: 2, 4: 3 }), [[2], [4], [6]], { maxNewTokens: 20 });
    expect(out.newTokens).toEqual([[3, 4, 1], [5, 6, 7, 1], expect.any(Array)]);
    expect(out.newTokens[2]).toHaveLength(20);
    expect(out.sequences[0]).toEqual([0, 3, 4, 1, ...new Array(17).fill(0)]);
    expect(out.sequences[1]!.slice(0, 6)).toEqual([0, 5, 6, 7, 1, 0]);
    expect(out.finishedWithEos).toEqual([true, true, false]);
    expect(model.decodeCalls).toBe(20);

    const short = await run(countingModel({ 2: 2, 4: 3 }), [[2], [4]], { maxNewTokens: 20 });
    expect(short.out.sequences).toEqual([
      [0, 3, 4, 1, 0],
      [0, 5, 6, 7, 1],
    ]);
    expect(short.model.decodeCalls).toBe(4);
  });

  it('accepts prompts as tensors and leaves them to the caller', async () => {
    const model = new FakeSeq2SeqLM(V, countingModel());
    const inputIds = tf.tensor2d(
      [
        [3, 1],
        [5, 0],
      ],
      [2, 2],
      'int32',
    );
    const attentionMask = tf.tensor2d(
      [
        [1, 1],
        [1, 0],
      ],
      [2, 2],
      'int32',
    );
    const out = await generate(model, { inputIds, attentionMask }, { maxNewTokens: 2 });
    expect(out.newTokens).toEqual([
      [4, 5],
      [6, 7],
    ]);
    expect(inputIds.isDisposed).toBe(false);
    tf.dispose([inputIds, attentionMask]);
  });

  it('is identical batched and one prompt at a time', async () => {
    const prompts = [
      [2, 7, 1],
      [4, 1],
      [9, 9, 9, 9, 1],
    ];
    const model = countingModel({ 2: 1, 9: 5 });
    const batched = await run(model, prompts, { maxNewTokens: 8 });
    for (const [i, prompt] of prompts.entries()) {
      const alone = await run(model, [prompt], { maxNewTokens: 8 });
      expect(alone.out.newTokens[0]).toEqual(batched.out.newTokens[i]);
    }
  });

  it('emits no id at or above allowedVocabSize', async () => {
    const scores: ScoreFunction = (_, prefix) => (prefix.length > 3 ? prefer(V, 1) : prefer(V, 11));
    expect((await run(scores, [[5]])).out.newTokens[0]).toEqual([11, 11, 11, 1]);
    // The next best ids are 0 (pad, score 0) then 2, 3, ...: the cut-off rows are masked, nothing else.
    const masked = await run(scores, [[5]], { allowedVocabSize: 10 });
    expect(masked.out.newTokens[0]).toEqual([0, 0, 0, 1]);
  });

  it('enforces minNewTokens by suppressing eos, and maxNewTokens', async () => {
    const eosFirst: ScoreFunction = () =>
      Float32Array.from({ length: V }, (_, i) => (i === 1 ? 5 : i === 7 ? 4 : 0));
    expect((await run(eosFirst, [[5]])).out.newTokens[0]).toEqual([1]);
    expect((await run(eosFirst, [[5]], { minNewTokens: 3 })).out.newTokens[0]).toEqual([7, 7, 7, 1]);
    expect((await run(eosFirst, [[5]], { minNewTokens: 3, maxNewTokens: 3 })).out.newTokens[0]).toEqual([
      7, 7, 7,
    ]);
  });

  it('streams each step: the new token per row, null once a row has finished', async () => {
    const steps: { step: number; tokens: readonly (number | null)[] }[] = [];
    const { out } = await run(countingModel({ 2: 1 }), [[2], [4]], {
      maxNewTokens: 3,
      onStep: (s) => steps.push(s),
    });
    expect(steps).toEqual([
      { step: 0, tokens: [3, 5] },
      { step: 1, tokens: [1, 6] },
      { step: 2, tokens: [null, 7] },
    ]);
    expect(out.newTokens).toEqual([
      [3, 1],
      [5, 6, 7],
    ]);
  });

  it('stops a row at a stop string in its decoded text, without appending eos', async () => {
    const decode = (ids: readonly number[]) => ids.map((id) => String.fromCharCode(96 + id)).join('');
    const { out } = await run(countingModel(), [[2], [6]], { maxNewTokens: 6, stopStrings: ['de'], decode });
    // Row 0 decodes to "cde" after 3 tokens; row 1 ("ghijk…") never contains "de".
    expect(out.newTokens[0]).toEqual([3, 4, 5]);
    expect(out.newTokens[1]).toHaveLength(6);
    expect(out.finishedWithEos).toEqual([false, false]);
    expect(out.sequences[0]).toEqual([0, 3, 4, 5, 0, 0, 0]);
  });
});

describe('repetition penalty and n-gram blocking', () => {
  it('divides positive and multiplies negative scores of tokens already in the sequence (HF)', async () => {
    // Start token 0 is part of the sequence HF penalises.
    const scores: ScoreFunction = () => Float32Array.from([2, -1, 3, 2.9, -2, 0, 0, 0, 0, 0, 0, 0]);
    const plain = await run(scores, [[5]], { maxNewTokens: 3 });
    expect(plain.out.newTokens[0]).toEqual([2, 2, 2]);
    // The start token 0 is penalised from the start (2 → 1.33). After 2 is used, 3 / 1.5 = 2 < 2.9, so 3
    // wins; after 3 is used too, 2.9 / 1.5 = 1.93 < 2, so 2 again.
    const penalised = await run(scores, [[5]], { maxNewTokens: 3, repetitionPenalty: 1.5 });
    expect(penalised.out.newTokens[0]).toEqual([2, 3, 2]);
    // Negative scores are multiplied: 4 (-1) sinks to -1.5 below 5 (-1.2), which then sinks to -1.8.
    const negative: ScoreFunction = () =>
      Float32Array.from({ length: V }, (_, i) => (i === 4 ? -1 : i === 5 ? -1.2 : -10));
    expect(
      (await run(negative, [[5]], { maxNewTokens: 3, repetitionPenalty: 1.5 })).out.newTokens[0],
    ).toEqual([4, 5, 4]);
  });

  it('never completes an n-gram already in the decoder sequence', async () => {
    // The model loves the cycle 4 5 4 5 ...
    const scores: ScoreFunction = (_, prefix) => {
      const last = prefix[prefix.length - 1];
      return Float32Array.from({ length: V }, (_, i) =>
        i === (last === 4 ? 5 : 4) ? 3 : i === 6 ? 2 : i === 7 ? 1 : 0,
      );
    };
    expect((await run(scores, [[5]], { maxNewTokens: 6 })).out.newTokens[0]).toEqual([4, 5, 4, 5, 4, 5]);
    // With 2-grams banned: 4 5, then "5 4"? fine (new), then "4 5" is banned → 6, then "6 4"...
    const blocked = await run(scores, [[5]], { maxNewTokens: 6, noRepeatNgramSize: 2 });
    expect(blocked.out.newTokens[0]).toEqual([4, 5, 4, 6, 4, 7]);
    // Size 3 over 0 4 5 4 5: the prefix "4 5" was followed by 4 before, so 4 is banned → 6.
    const blocked3 = await run(scores, [[5]], { maxNewTokens: 6, noRepeatNgramSize: 3 });
    expect(blocked3.out.newTokens[0]).toEqual([4, 5, 4, 5, 6, 4]);
  });
});

describe('sampling', () => {
  const spread: ScoreFunction = (_, prefix) =>
    prefix.length > 8
      ? prefer(V, 1)
      : Float32Array.from({ length: V }, (_, i) => (i < 2 ? -Infinity : Math.log(i)));

  it('is deterministic given the seed, and the seed matters', async () => {
    const a = await run(spread, [[5], [6]], { doSample: true, seed: 7, maxNewTokens: 10 });
    const b = await run(spread, [[5], [6]], { doSample: true, seed: 7, maxNewTokens: 10 });
    const c = await run(spread, [[5], [6]], { doSample: true, seed: 8, maxNewTokens: 10 });
    expect(a.out.newTokens).toEqual(b.out.newTokens);
    expect(c.out.newTokens).not.toEqual(a.out.newTokens);
    expect(a.out.newTokens[0]).not.toEqual(a.out.newTokens[1]);
  });

  it('draws tokens with the softmax probabilities', async () => {
    const probs = { 2: 0.1, 3: 0.2, 4: 0.3, 5: 0.4 };
    const { out } = await run(() => logProbs(V, probs), [[5]], {
      doSample: true,
      seed: 1,
      maxNewTokens: 4000,
    });
    const counts = new Map<number, number>();
    for (const t of out.newTokens[0]!) counts.set(t, (counts.get(t) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual([2, 3, 4, 5]);
    for (const [id, p] of Object.entries(probs))
      expect(Math.abs(counts.get(Number(id))! / 4000 - p)).toBeLessThan(0.025);
  });

  it('applies temperature, top-k and top-p as HF does', async () => {
    const probs = { 2: 0.05, 3: 0.15, 4: 0.3, 5: 0.5 };
    const seen = async (options: GenerationOptions) => {
      const { out } = await run(() => logProbs(V, probs), [[5]], {
        doSample: true,
        seed: 3,
        maxNewTokens: 400,
        ...options,
      });
      return [...new Set(out.newTokens[0])].sort();
    };
    expect(await seen({})).toEqual([2, 3, 4, 5]);
    expect(await seen({ topK: 2 })).toEqual([4, 5]);
    expect(await seen({ topK: 1 })).toEqual([5]);
    // Ascending cumulative probabilities 0.05, 0.2, 0.5, 1: tokens whose cumulative mass is ≤ 1 − p go.
    expect(await seen({ topP: 0.85 })).toEqual([3, 4, 5]);
    expect(await seen({ topP: 0.75 })).toEqual([4, 5]);
    expect(await seen({ topP: 0.45 })).toEqual([5]);
    expect(await seen({ temperature: 0.01 })).toEqual([5]);
  });

  it('returns numReturnSequences independent samples per prompt, prompt-major', async () => {
    const { out } = await run(spread, [[5], [6]], {
      doSample: true,
      seed: 11,
      numReturnSequences: 3,
      maxNewTokens: 12,
    });
    expect(out.newTokens).toHaveLength(6);
    expect(new Set(out.newTokens.slice(0, 3).map((t) => t.join(','))).size).toBeGreaterThan(1);
    expect(out.newTokens.every((t) => t[t.length - 1] === 1 && t.length === 9)).toBe(true);
  });
});

describe('beam search', () => {
  // After the start: 2 (0.5), 3 (0.4), 4 (0.1). After 3: eos (0.9). After 2: 2 (.35), 4 (.3), 5 (.25), eos (.1).
  // Elsewhere: 2 (.3), 3 (.25), 4 (.2), 5 (.15), eos (.1).
  const table: ScoreFunction = (_, prefix) => {
    const key = prefix.slice(1).join(',');
    if (key === '') return logProbs(V, { 2: 0.5, 3: 0.4, 4: 0.1 });
    if (key === '3') return logProbs(V, { 1: 0.9, 4: 0.1 });
    if (key === '2') return logProbs(V, { 1: 0.1, 2: 0.35, 4: 0.3, 5: 0.25 });
    return logProbs(V, { 1: 0.1, 2: 0.3, 3: 0.25, 4: 0.2, 5: 0.15 });
  };
  const lp = (...p: number[]) => p.reduce((a, b) => a + Math.log(b), 0);

  it('finds the sequence greedy misses, scored sum_logprobs / length ** lengthPenalty', async () => {
    const greedy = await run(table, [[5]], { maxNewTokens: 3 });
    expect(greedy.out.newTokens[0]).toEqual([2, 2, 2]);
    const { out } = await run(table, [[5]], { numBeams: 2, maxNewTokens: 3 });
    expect(out.newTokens).toEqual([[3, 1]]);
    expect(out.sequences).toEqual([[0, 3, 1]]);
    expect(out.finishedWithEos).toEqual([true]);
    expect(out.sequenceScores![0]).toBeCloseTo(lp(0.4, 0.9) / 2, 5);
  });

  it('returns the best hypotheses, running beams included at max length, best first', async () => {
    const { out } = await run(table, [[5]], { numBeams: 2, numReturnSequences: 2, maxNewTokens: 3 });
    // Step 2 finishes "3 eos" and keeps "2 2" and "2 4" running; step 3 (the last) extends them to
    // "2 2 2" (ln .5·.35·.3) and "2 4 2" (ln .5·.3·.3), which join the hypotheses at the end
    // (length 3, no eos); "2 4 2" is worse than both kept ones.
    expect(out.newTokens).toEqual([
      [3, 1],
      [2, 2, 2],
    ]);
    expect(out.sequences).toEqual([
      [0, 3, 1, 0],
      [0, 2, 2, 2],
    ]);
    expect(out.finishedWithEos).toEqual([true, false]);
    expect(out.sequenceScores![1]).toBeCloseTo(lp(0.5, 0.35, 0.3) / 3, 5);
  });

  it('applies lengthPenalty to the ranking of finished hypotheses', async () => {
    // Length 2: ln(.4·.9) = -1.02; length 3: ln(.5·.35·.3) = -2.95 and ln(.5·.3·.3) = -3.10.
    // With lengthPenalty 4 the scores are -1.02/16 = -0.064, -2.95/81 = -0.036 and -3.10/81 = -0.038:
    // both long ones now beat the short one.
    const { out } = await run(table, [[5]], {
      numBeams: 2,
      numReturnSequences: 2,
      maxNewTokens: 3,
      lengthPenalty: 4,
    });
    expect(out.newTokens).toEqual([
      [2, 2, 2],
      [2, 4, 2],
    ]);
    expect(out.sequenceScores![0]).toBeCloseTo(lp(0.5, 0.35, 0.3) / 81, 6);
    expect(out.sequenceScores![1]).toBeCloseTo(lp(0.5, 0.3, 0.3) / 81, 6);
  });

  it('with earlyStopping stops a prompt as soon as numBeams hypotheses are finished', async () => {
    // Step 2: the two best candidates are "2 eos" (ln .6·.9) and "3 eos" (ln .4·.9): 2 hypotheses.
    const sure: ScoreFunction = (_, prefix) =>
      prefix.length === 1
        ? logProbs(V, { 2: 0.6, 3: 0.4 })
        : prefix.length === 2
          ? logProbs(V, { 1: 0.9, 4: 0.1 })
          : prefer(V, 1);
    const options = { numBeams: 2, maxNewTokens: 10, numReturnSequences: 2 };
    const early = await run(sure, [[5]], { ...options, earlyStopping: true });
    expect(early.out.newTokens).toEqual([
      [2, 1],
      [3, 1],
    ]);
    expect(early.model.decodeCalls).toBe(2);
    // Without it, the best running beam ("2 4", ln .6·.1 / 2 = -1.4) could still beat the worst
    // hypothesis (-0.51)? No, but HF's check divides the best candidate score (-0.62, "2 eos") by
    // the length: -0.31 > -0.51, so one more step runs; then "2 4 ·" at -2.8 / 3 cannot, and it stops.
    const patient = await run(sure, [[5]], { ...options, earlyStopping: false });
    expect(patient.out.newTokens).toEqual(early.out.newTokens);
    expect(patient.model.decodeCalls).toBe(3);
    // 'never' with lengthPenalty > 0 compares against the best score spread over maxNewTokens: -2.8 / 10 > -0.51.
    const never = await run(sure, [[5]], { ...options, earlyStopping: 'never' });
    expect(never.out.newTokens).toEqual(early.out.newTokens);
    expect(never.model.decodeCalls).toBeGreaterThan(3);
  });

  it('decodes a batch of prompts like each prompt alone, with the cache reordered per beam', async () => {
    const byPrompt: ScoreFunction = (prompt, prefix) =>
      prompt[0] === 9 ? table(prompt, prefix) : countingModel({ 5: 2 })(prompt, prefix);
    const batched = await run(
      byPrompt,
      [
        [9, 1],
        [5, 5, 5, 1],
      ],
      { numBeams: 3, maxNewTokens: 4, numReturnSequences: 2 },
    );
    const a = await run(byPrompt, [[9, 1]], { numBeams: 3, maxNewTokens: 4, numReturnSequences: 2 });
    const b = await run(byPrompt, [[5, 5, 5, 1]], { numBeams: 3, maxNewTokens: 4, numReturnSequences: 2 });
    expect(batched.out.newTokens).toEqual([...a.out.newTokens, ...b.out.newTokens]);
    expect(batched.out.sequenceScores).toEqual([...a.out.sequenceScores!, ...b.out.sequenceScores!]);
    expect(b.out.newTokens[0]).toEqual([6, 7, 1]);
  });

  it('equals greedy with one beam and numBeams 1', async () => {
    const greedy = await run(table, [[5]], { maxNewTokens: 3 });
    const beam1 = await run(table, [[5]], { maxNewTokens: 3, numBeams: 1 });
    expect(beam1.out).toEqual(greedy.out);
  });
});

describe('options and inputs', () => {
  const model = new FakeSeq2SeqLM(V, countingModel());
  it.each<[GenerationOptions, string]>([
    [{ maxNewTokens: 0 }, 'maxNewTokens'],
    [{ minNewTokens: 5, maxNewTokens: 4 }, 'minNewTokens'],
    [{ numBeams: 2, doSample: true }, 'doSample'],
    [{ numBeams: 2, numReturnSequences: 3 }, 'numReturnSequences'],
    [{ numReturnSequences: 2 }, 'numReturnSequences'],
    [{ temperature: 0 }, 'temperature'],
    [{ topP: 1.5 }, 'topP'],
    [{ stopStrings: ['x'] }, 'stopStrings'],
    [{ allowedVocabSize: V + 1 }, 'allowedVocabSize'],
    [{ numBeams: 2, onStep: () => undefined }, 'onStep'],
    [{ repetitionPenalty: Number.NaN }, 'repetitionPenalty'],
  ])('rejects %o naming %s', async (options, fieldName) => {
    const error = await generate(model, [[3, 1]], options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GenerationError);
    expect((error as GenerationError).field).toBe(fieldName);
  });

  it('rejects empty prompts and out-of-vocabulary ids, naming them', async () => {
    const before = tf.memory().numTensors;
    await expect(generate(model, [])).rejects.toThrow(/no prompts/);
    await expect(generate(model, [[3], []])).rejects.toThrow(/prompt 1 is empty/);
    await expect(generate(model, [[3, 12]])).rejects.toThrow(/prompt 0, position 1: 12 is not a token id/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports NaN logits with the step and row', async () => {
    const nan = new FakeSeq2SeqLM(V, (_, prefix) =>
      prefix.length === 2 ? new Float32Array(V).fill(Number.NaN) : prefer(V, 4),
    );
    const before = tf.memory().numTensors;
    await expect(generate(nan, [[3]])).rejects.toThrow(/step 1: the model's logits for row 0 contain NaN/);
    expect(tf.memory().numTensors).toBe(before);
    expect(nan.liveCaches.size).toBe(0);
  });
});

describe('logits warpers', () => {
  it('top-k keeps every score tied with the k-th, top-p keeps the most likely token', () => {
    const scores = Float32Array.from([1, 3, 2, 3, 0]);
    topKFilter(scores, 2);
    expect(Array.from(scores)).toEqual([-Infinity, 3, -Infinity, 3, -Infinity]);
    const tied = Float32Array.from([1, 3, 2, 2, 0]);
    topKFilter(tied, 2);
    expect(Array.from(tied)).toEqual([-Infinity, 3, 2, 2, -Infinity]);
    const peaked = Float32Array.from([0, 10, -Infinity, 0]);
    topPFilter(peaked, 0.5);
    expect(Array.from(peaked)).toEqual([-Infinity, 10, -Infinity, -Infinity]);
  });
});
