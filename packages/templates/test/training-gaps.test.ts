import { describe, expect, it } from 'vitest';
import {
  arraySource,
  DIALOG_TEMPLATES,
  dialogTurns,
  EQUAL_TEMPLATE_MIX,
  MixtureSampler,
  Registry,
  resolveMixture,
  type MixedExample,
  type TaskDefinition,
} from '../src/index';

function task(name: string, size: number, extra: Partial<TaskDefinition> = {}): TaskDefinition {
  const records = Array.from({ length: size }, (_, i) => ({
    q: `${name}-q${i}`,
    a: `${name}-a${i}`,
    r: `r${i}`,
  }));
  return {
    name,
    source: arraySource(records, name),
    templates: [{ name: 't0', input: 'Q: {q}', target: '{a}' }],
    ...extra,
  };
}

async function take(sampler: MixtureSampler, n: number): Promise<MixedExample[]> {
  const out: MixedExample[] = [];
  for await (const e of sampler.take(n)) out.push(e);
  return out;
}

describe('MixtureSampler resume continues without replaying the epoch', () => {
  it('draw N, save, restore, draw N == draw 2N; the resumed sampler preprocesses only new records', async () => {
    let calls = 0;
    const counted = (t: TaskDefinition): TaskDefinition => ({
      ...t,
      preprocessors: [
        (f) => {
          calls++;
          return f;
        },
      ],
    });
    const registry = new Registry().addTask(counted(task('a', 500))).addTask(counted(task('b', 300)));
    const mixture = await resolveMixture(registry, { name: 'm', tasks: ['a', 'b'] });
    const options = { seed: 8, shuffleBuffer: 50 };
    const n = 400;
    calls = 0;
    const straight = await take(new MixtureSampler(mixture, options), 2 * n);
    const straightCalls = calls;

    calls = 0;
    const first = new MixtureSampler(mixture, options);
    const head = await take(first, n);
    const callsAtSave = calls;
    const saved = JSON.parse(JSON.stringify(first.state()));
    // The shuffle buffers travel in the state (mid-epoch for both tasks).
    expect(saved.cursors.a.buffer).toHaveLength(50);
    expect(saved.cursors.a.read).toBeGreaterThan(saved.cursors.a.offset);

    calls = 0;
    const resumed = new MixtureSampler(mixture, { ...options, state: saved });
    const tail = await take(resumed, n);
    expect([...head, ...tail]).toEqual(straight);
    // Replaying would have preprocessed the ~400 records read before the save point again.
    expect(calls).toBe(straightCalls - callsAtSave);
  });

  it('a cursor saved without a buffer ({epoch, offset}) still resumes exactly, by replaying', async () => {
    const registry = new Registry().addTask(task('a', 20)).addTask(task('b', 7));
    const mixture = await resolveMixture(registry, { name: 'm', tasks: ['a', 'b'] });
    const options = { seed: 3, shuffleBuffer: 5 };
    const straight = await take(new MixtureSampler(mixture, options), 60);
    const first = new MixtureSampler(mixture, options);
    await take(first, 25);
    const { seed, position, cursors } = first.state();
    const old = {
      seed,
      position,
      cursors: Object.fromEntries(
        Object.entries(cursors).map(([k, c]) => [k, { epoch: c.epoch, offset: c.offset }]),
      ),
    };
    const tail = await take(new MixtureSampler(mixture, { ...options, state: old }), 35);
    expect(tail).toEqual(straight.slice(25));
  });
});

describe('few-shot exemplars are sampled across the split', () => {
  const exemplarIndices = (examples: MixedExample[]) =>
    examples.flatMap((e) => [...e.inputs.matchAll(/Q: big-q(\d+)\n\nbig-a\d+/g)].map((m) => Number(m[1])));

  it('seeded reservoir over all 1000 records, not the first 64', async () => {
    const registry = new Registry().addTask(
      task('big', 1000, { formats: { 'few-shot': 1 }, fewShot: { shots: 2, poolSize: 16 } }),
    );
    const mixture = await resolveMixture(registry, { name: 'm', tasks: ['big'] });
    const used = exemplarIndices(await take(new MixtureSampler(mixture, { seed: 1, shuffleBuffer: 0 }), 200));
    const pool = new Set(used);
    expect(pool.size).toBe(16);
    expect(Math.max(...pool)).toBeGreaterThan(500);
    expect([...pool].filter((i) => i >= 64).length).toBeGreaterThan(8);
    // Same seed, same pool; another seed, another pool.
    const again = exemplarIndices(
      await take(new MixtureSampler(mixture, { seed: 1, shuffleBuffer: 0 }), 200),
    );
    expect(again).toEqual(used);
    const other = new Set(
      exemplarIndices(await take(new MixtureSampler(mixture, { seed: 2, shuffleBuffer: 0 }), 200)),
    );
    expect([...other].sort()).not.toEqual([...pool].sort());
  });

  it("pool: 'first' keeps the first poolSize records", async () => {
    const registry = new Registry().addTask(
      task('big', 1000, { formats: { 'few-shot': 1 }, fewShot: { shots: 2, poolSize: 16, pool: 'first' } }),
    );
    const mixture = await resolveMixture(registry, { name: 'm', tasks: ['big'] });
    const used = exemplarIndices(await take(new MixtureSampler(mixture, { seed: 1, shuffleBuffer: 0 }), 200));
    expect(Math.max(...used)).toBeLessThan(16);
  });
});

describe('template_mix', () => {
  it('mixes formats per example by the mixture weights, over the formats each task can render', async () => {
    const cotTemplates = [{ name: 'c0', input: 'Q: {q}', target: '{r} So the answer is {a}.' }];
    const registry = new Registry()
      .addTask(task('withCot', 50, { cotTemplates, fewShot: { shots: 1 } }))
      .addTask(task('answerOnly', 50, { fewShot: { shots: 1 } }))
      .addTask(task('own', 50, { formats: { 'zero-shot': 1 } }));
    const mixture = await resolveMixture(registry, {
      name: 'm',
      tasks: ['withCot', 'answerOnly', 'own'],
      templateMix: { ...EQUAL_TEMPLATE_MIX, 'zero-shot': 2 },
    });
    const examples = await take(new MixtureSampler(mixture, { seed: 4, shuffleBuffer: 0 }), 6000);
    const share = (t: string, f: string) => {
      const of = examples.filter((e) => e.task === t);
      return of.filter((e) => e.format === f).length / of.length;
    };
    // withCot: weights 2:1:1:1 over four formats.
    expect(share('withCot', 'zero-shot')).toBeCloseTo(0.4, 1);
    expect(share('withCot', 'cot')).toBeCloseTo(0.2, 1);
    expect(share('withCot', 'few-shot-cot')).toBeCloseTo(0.2, 1);
    // answerOnly has no cotTemplates: zero-shot and few-shot at 2:1.
    expect(share('answerOnly', 'zero-shot')).toBeCloseTo(2 / 3, 1);
    expect(share('answerOnly', 'cot') + share('answerOnly', 'few-shot-cot')).toBe(0);
    // A task's own formats win over the mixture's.
    expect(share('own', 'zero-shot')).toBe(1);
    expect(examples.find((e) => e.format === 'cot')!.inputs).toMatch(/\nLet's think step by step\.$/);
  });
});

describe('input inversion', () => {
  it('swaps inputs and targets into the inverted task at the task rate; other draws are unchanged', async () => {
    const plain = new Registry().addTask(task('a', 40)).addTask(task('b', 40));
    const inverted = new Registry()
      .addTask(
        task('a', 40, {
          inversion: {
            rate: 0.5,
            template: { name: 'inv', input: 'Answer: {targets}\nQuestion?', target: '{inputs}' },
          },
        }),
      )
      .addTask(task('b', 40));
    const definition = { name: 'm', tasks: ['a', 'b'] };
    const options = { seed: 6, shuffleBuffer: 8 };
    const before = await take(new MixtureSampler(await resolveMixture(plain, definition), options), 2000);
    const after = await take(new MixtureSampler(await resolveMixture(inverted, definition), options), 2000);
    let flipped = 0;
    after.forEach((e, i) => {
      const original = before[i]!;
      if (!e.inverted) return expect(e).toEqual(original);
      flipped++;
      expect(e.task).toBe('a');
      expect(e).toEqual({
        ...original,
        inputs: `Answer: ${original.targets}\nQuestion?`,
        targets: original.inputs,
        template: 't0+inv',
        inverted: true,
      });
    });
    const aCount = after.filter((e) => e.task === 'a').length;
    expect(flipped / aCount).toBeGreaterThan(0.45);
    expect(flipped / aCount).toBeLessThan(0.55);
  });

  it('rejects a rate outside [0, 1]', async () => {
    const registry = new Registry().addTask(task('a', 4, { inversion: { rate: 2 } }));
    const mixture = await resolveMixture(registry, { name: 'm', tasks: ['a'] });
    expect(() => new MixtureSampler(mixture)).toThrow(/inversion\.rate must be in \[0, 1\]/);
  });
});

describe('dialog formats', () => {
  it('the conversation so far is the input, the last turn the target', async () => {
    const registry = new Registry().addTask({
      name: 'chat',
      source: arraySource([
        { turns: ['Hi!', 'Hello, how can I help?', 'What is 2+2?', 'It is 4.'] },
        {
          turns: [
            { speaker: 'Ann', text: 'Ready?' },
            { speaker: 'Bo', text: 'Yes.' },
          ],
        },
        { turns: ['alone'] },
      ]),
      preprocessors: [dialogTurns({ maxContextTurns: 2 })],
      templates: [DIALOG_TEMPLATES[0]!],
    });
    const mixture = await resolveMixture(registry, { name: 'm', tasks: ['chat'] });
    const examples = await take(new MixtureSampler(mixture, { seed: 0, shuffleBuffer: 0 }), 2);
    expect(examples.map((e) => [e.inputs, e.targets])).toEqual([
      ['Assistant: Hello, how can I help?\nUser: What is 2+2?\nAssistant:', 'It is 4.'],
      ['Ann: Ready?\nBo:', 'Yes.'],
    ]);
  });
});
