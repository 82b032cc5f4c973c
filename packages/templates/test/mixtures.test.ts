import { sharedFile } from '@flan-ts/test-support';
import { describe, expect, it } from 'vitest';
import {
  arraySource,
  ConfigError,
  mixingRateNumExamples,
  mixtureProbabilities,
  MixtureSampler,
  Registry,
  resolveMixture,
  type TaskDefinition,
} from '../src/index';
import { loadFlan2022CollectionWeights } from '../src/node';

function task(name: string, size: number, extra: Partial<TaskDefinition> = {}): TaskDefinition {
  const records = Array.from({ length: size }, (_, i) => ({ q: `${name}-q${i}`, a: `${name}-a${i}` }));
  return {
    name,
    source: arraySource(records, name),
    templates: [
      { name: 't0', input: 'Q: {q}', target: '{a}' },
      { name: 't1', input: '{q}?', target: '{a}' },
    ],
    ...extra,
  };
}

async function drawCounts(sampler: MixtureSampler, n: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const example = await sampler.next();
    counts.set(example.task, (counts.get(example.task) ?? 0) + 1);
  }
  return counts;
}

/** |observed - expected| within 5 standard deviations of a binomial count. */
function expectWithinSamplingError(
  counts: Map<string, number>,
  probabilities: Record<string, number>,
  n: number,
) {
  for (const [name, p] of Object.entries(probabilities)) {
    const observed = counts.get(name) ?? 0;
    const sigma = Math.sqrt(n * p * (1 - p));
    expect(Math.abs(observed - n * p), `${name}: ${observed} vs ${n * p}`).toBeLessThan(5 * sigma + 1e-9);
  }
}

describe('mixing rates', () => {
  it('seqio mixing_rate_num_examples: scale, then cap, then temperature', () => {
    expect(mixingRateNumExamples(5000)).toBe(5000);
    expect(mixingRateNumExamples(5000, { maximum: 3000 })).toBe(3000);
    expect(mixingRateNumExamples(5000, { scale: 0.5, maximum: 3000 })).toBe(2500);
    expect(mixingRateNumExamples(10_000, { temperature: 2 })).toBeCloseTo(100, 10);
    expect(mixingRateNumExamples(10_000, { maximum: 400, temperature: 2 })).toBeCloseTo(20, 10);
    expect(() => mixingRateNumExamples(10, { temperature: 0 })).toThrow(RangeError);
  });

  it('collection weights split by rate inside each collection', () => {
    const p = mixtureProbabilities([1, 3, 2], { of: ['a', 'a', 'b'], weights: { a: 0.75, b: 0.25 } });
    expect(p[0]).toBeCloseTo(0.75 * 0.25);
    expect(p[1]).toBeCloseTo(0.75 * 0.75);
    expect(p[2]).toBeCloseTo(0.25);
    expect(() => mixtureProbabilities([1], { of: ['c'], weights: { a: 1 } })).toThrow(/collection "c"/);
  });
});

describe('MixtureSampler', () => {
  it('fixed rates: proportions within sampling error over 100k draws', async () => {
    const registry = new Registry().addTask(task('a', 50)).addTask(task('b', 7)).addTask(task('c', 20));
    const mixture = await resolveMixture(registry, {
      name: 'm',
      tasks: [
        { task: 'a', rate: 5 },
        { task: 'b', rate: 3 },
        { task: 'c', rate: 2 },
      ],
    });
    const sampler = new MixtureSampler(mixture, { seed: 11, shuffleBuffer: 0 });
    const n = 100_000;
    const counts = await drawCounts(sampler, n);
    expectWithinSamplingError(counts, { a: 0.5, b: 0.3, c: 0.2 }, n);
  });

  it('examples-proportional with a cap: capped tasks get equal shares', async () => {
    const registry = new Registry()
      .addTask(task('small', 100))
      .addTask(task('medium', 1000))
      .addTask(task('large', 5000))
      .addMixture({
        name: 'ep',
        tasks: ['small', 'medium', 'large'],
        defaultRate: { examplesProportional: { maximum: 1000 } },
      });
    const mixture = await resolveMixture(registry, 'ep');
    expect(mixture.probabilities[0]).toBeCloseTo(100 / 2100);
    expect(mixture.probabilities[1]).toBeCloseTo(1000 / 2100);
    expect(mixture.probabilities[2]).toBeCloseTo(1000 / 2100);
    const n = 100_000;
    const counts = await drawCounts(new MixtureSampler(mixture, { seed: 5, shuffleBuffer: 0 }), n);
    expectWithinSamplingError(counts, { small: 100 / 2100, medium: 1000 / 2100, large: 1000 / 2100 }, n);
    // Without the cap the large task dominates.
    const uncapped = await resolveMixture(registry, {
      name: 'u',
      tasks: ['small', 'medium', 'large'],
      defaultRate: { examplesProportional: {} },
    });
    expect(uncapped.probabilities[2]).toBeCloseTo(5000 / 6100);
  });

  it('is deterministic given the seed', async () => {
    const registry = new Registry().addTask(task('a', 30)).addTask(task('b', 40));
    const mixture = await resolveMixture(registry, { name: 'm', tasks: ['a', 'b'] });
    const take = async (seed: number) => {
      const out = [];
      for await (const e of new MixtureSampler(mixture, { seed, shuffleBuffer: 8 }).take(300)) out.push(e);
      return out;
    };
    const first = await take(3);
    expect(await take(3)).toEqual(first);
    expect(await take(4)).not.toEqual(first);
    // Shuffling covers each epoch exactly once: 30 draws of "a" from the first epoch are a permutation.
    const aInputs = first
      .filter((e) => e.task === 'a')
      .slice(0, 30)
      .map((e) => e.targets);
    expect(new Set(aInputs).size).toBe(30);
  });

  it('resumes from a saved state exactly as an uninterrupted run (across epochs, shuffling, few-shot)', async () => {
    const registry = new Registry()
      .addTask(
        task('a', 13, { formats: { 'zero-shot': 1, 'few-shot': 1 }, fewShot: { shots: 2, poolSize: 5 } }),
      )
      .addTask(task('b', 9));
    const mixture = await resolveMixture(registry, { name: 'm', tasks: ['a', 'b'] });
    const options = { seed: 99, shuffleBuffer: 4 };
    const full = [];
    for await (const e of new MixtureSampler(mixture, options).take(200)) full.push(e);

    const first = new MixtureSampler(mixture, options);
    const head = [];
    for await (const e of first.take(77)) head.push(e);
    const saved = JSON.parse(JSON.stringify(first.state()));
    expect(saved.position).toBe(77);
    expect(saved.cursors.a.epoch + saved.cursors.b.epoch).toBeGreaterThan(0);
    const resumed = new MixtureSampler(mixture, { state: saved, shuffleBuffer: 4 });
    const tail = [];
    for await (const e of resumed.take(123)) tail.push(e);
    expect([...head, ...tail]).toEqual(full);
    expect(full.some((e) => e.format === 'few-shot')).toBe(true);
  });

  it('rejects bad mixtures with clear errors', async () => {
    const registry = new Registry().addTask(task('a', 3));
    expect(() => registry.addTask(task('a', 3))).toThrow(ConfigError);
    await expect(resolveMixture(registry, { name: 'm', tasks: ['nope'] })).rejects.toThrow(
      /unknown task "nope"/,
    );
    const empty = new Registry().addTask(task('e', 0));
    const mixture = await resolveMixture(empty, { name: 'm', tasks: ['e'] });
    await expect(new MixtureSampler(mixture).next()).rejects.toThrow(/task "e" has no examples/);
    const state = { seed: 1, position: 0, cursors: { other: { epoch: 0, offset: 0 } } };
    expect(() => new MixtureSampler(mixture, { state })).toThrow(/task "other"/);
  });
});

describe('per-collection weights (the Flan 2022 split of shared/data/flan/mixtures.json)', () => {
  const mixturesPath = sharedFile('data/flan/mixtures.json');
  it.skipIf(!mixturesPath)('draws each collection at its weight over 100k draws', async () => {
    const weights = await loadFlan2022CollectionWeights(mixturesPath!);
    expect(weights).toEqual({
      flan2021_submix: 0.4,
      t0_submix: 0.32,
      niv2_submix: 0.2,
      cot_submix: 0.05,
      dialog_submix: 0.03,
    });
    const registry = new Registry();
    const names: string[] = [];
    // Two tasks per collection with different sizes: examples-proportional inside, weights across.
    for (const collection of Object.keys(weights)) {
      for (const [suffix, size] of [
        ['x', 30],
        ['y', 10],
      ] as const) {
        const name = `${collection}_${suffix}`;
        registry.addTask(task(name, size, { collection }));
        names.push(name);
      }
    }
    const mixture = await resolveMixture(registry, {
      name: 'flan2022',
      tasks: names,
      defaultRate: { examplesProportional: {} },
      collectionWeights: weights,
    });
    const n = 100_000;
    const counts = await drawCounts(new MixtureSampler(mixture, { seed: 2022, shuffleBuffer: 0 }), n);
    const expected: Record<string, number> = {};
    for (const [collection, w] of Object.entries(weights)) {
      expected[`${collection}_x`] = w * 0.75;
      expected[`${collection}_y`] = w * 0.25;
    }
    expectWithinSamplingError(counts, expected, n);
  });
});
