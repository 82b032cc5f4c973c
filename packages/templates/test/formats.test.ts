import { describe, expect, it } from 'vitest';
import {
  arraySource,
  assembleFewShot,
  cotTarget,
  createRng,
  extractCotAnswer,
  flanCotTask,
  MixtureSampler,
  Registry,
  renderExample,
  resolveMixture,
  whitespaceTokenCounter,
  withCotTrigger,
  type TokenCounter,
} from '../src/index';

describe('few-shot assembly (FLAN / seqio fewshot_preprocessor)', () => {
  const exemplars = [
    { input: 'x1', target: 'y1' },
    { input: 'x2', target: 'y2' },
  ];

  it('uses FLAN defaults: "\\n\\n" between input and target, "\\n\\n\\n" between exemplars', () => {
    expect(assembleFewShot(exemplars, { input: 'x', target: 'y' })).toEqual({
      input: 'x1\n\ny1\n\n\nx2\n\ny2\n\n\nx\n\n',
      target: 'y',
      shots: 2,
    });
  });

  it('applies prefixes, right-strips the final target prefix, removes trailing spaces, adds final_suffix', () => {
    const layout = {
      inputsPrefix: 'Q: ',
      targetsPrefix: 'A: ',
      xYDelimiter: '\n',
      exampleSeparator: '\n\n',
      finalSuffix: '\nAnswer:',
    };
    expect(assembleFewShot(exemplars, { input: 'x ', target: 'y' }, { layout }).input).toBe(
      'Q: x1\nA: y1\n\nQ: x2\nA: y2\n\nQ: x \nA:\nAnswer:',
    );
    // Without a final suffix the trailing spaces of "A: " are gone.
    expect(
      assembleFewShot([], { input: 'x', target: 'y' }, { layout: { ...layout, finalSuffix: '' } }).input,
    ).toBe('Q: x\nA:');
  });

  it('drops exemplars from the end to fit the token budget', () => {
    const many = Array.from({ length: 5 }, (_, i) => ({ input: `w${i} w w`, target: 'y' })); // 4 words each
    const final = { input: 'a b c', target: 'z' }; // 3 words
    const at = (budget: number) =>
      assembleFewShot(many, final, { tokenCounter: whitespaceTokenCounter, maxInputTokens: budget });
    expect(at(23).shots).toBe(5);
    expect(at(22).shots).toBe(4);
    expect(at(11).shots).toBe(2);
    expect(at(6).shots).toBe(0);
    const kept = at(11);
    expect(kept.input).toBe('w0 w w\n\ny\n\n\nw1 w w\n\ny\n\n\na b c\n\n');
    expect(whitespaceTokenCounter.countTokens(kept.input)).toBeLessThanOrEqual(11);
    expect(() => assembleFewShot(many, final, { maxInputTokens: 5 })).toThrow(/tokenCounter/);
  });

  it('the sampler drops (and counts) few-shot draws where no exemplar fits', async () => {
    const counter: TokenCounter = { countTokens: (t) => t.length };
    const registry = new Registry().addTask({
      name: 'long',
      source: arraySource([{ q: 'short' }, { q: 'a much longer question that never fits' }]),
      templates: [{ input: '{q}', target: 'ok' }],
      formats: { 'few-shot': 1 },
      fewShot: { shots: 1, maxInputTokens: 50 },
    });
    const sampler = new MixtureSampler(await resolveMixture(registry, { name: 'm', tasks: ['long'] }), {
      seed: 1,
      tokenCounter: counter,
      shuffleBuffer: 0,
    });
    // "short" with the long exemplar: 7 + 45 chars > 50; the long one with "short": 40 + 12 > 50.
    await expect(sampler.next()).rejects.toThrow(/1000 draws in a row were dropped/);
    expect(sampler.dropped).toBe(1000);
    expect(sampler.position).toBe(1000);
  });
});

describe('chain-of-thought', () => {
  it('targets, trigger and answer extraction', () => {
    expect(cotTarget('2 + 2 = 4.', '4')).toBe('2 + 2 = 4. So the answer is 4.');
    expect(cotTarget('Because (B).', '(B)', 'The answer is')).toBe('Because (B). The answer is (B).');
    expect(withCotTrigger('Q: x\nA:', "Let's think step by step.", ' ')).toBe(
      "Q: x\nA: Let's think step by step.",
    );
    expect(extractCotAnswer('So 3. The answer is 3. So the answer is (C).')).toBe('(C)');
    expect(extractCotAnswer('no phrase here')).toBeUndefined();
  });

  const record = { question: 'What is 2 + 3?', answer: '5', chain_of_thought: '2 + 3 = 5.' };
  const task = flanCotTask(
    'gsm8k',
    arraySource([record, { question: 'q2', answer: 'a2', chain_of_thought: 'c2' }]),
  );

  it('renders each format of a Flan CoT task', () => {
    const rng = () => createRng(0);
    const zero = renderExample(task, record, 'zero-shot', rng())!;
    expect(zero.targets).toBe('5');
    expect(zero.inputs).toContain('What is 2 + 3?');
    const cot = renderExample(task, record, 'cot', rng())!;
    expect(cot.inputs.endsWith("\nLet's think step by step.")).toBe(true);
    expect(cot.targets).toMatch(/^(Reasoning: )?2 \+ 3 = 5\.(\s|\n)(So the|The) answer is 5\.$/);
    const pool = [
      { key: 'other', fields: { question: 'q2', answer: 'a2', chain_of_thought: 'c2' } },
      { key: 'self', fields: record },
    ];
    const fewCot = renderExample(task, record, 'few-shot-cot', rng(), {
      exemplarPool: pool,
      exampleKey: 'self',
    })!;
    expect(fewCot.inputs).toContain('c2');
    expect(fewCot.inputs.indexOf('q2')).toBeLessThan(fewCot.inputs.indexOf('What is 2 + 3?'));
    expect(fewCot.inputs.split('What is 2 + 3?')).toHaveLength(2); // never its own exemplar
    expect(fewCot.template).toBe(cot.template);
  });

  it('a record missing a field names the field', () => {
    expect(() => renderExample(task, { question: 'q', answer: 'a' }, 'cot', createRng(0))).toThrow(
      /missing field "chain_of_thought"/,
    );
  });
});

describe('token budget in the sampler', () => {
  it('keeps what fits and counts the rest as dropped', async () => {
    const counter: TokenCounter = { countTokens: (t) => t.length };
    const registry = new Registry().addTask({
      name: 'mixed',
      source: arraySource([{ q: 'aa' }, { q: 'bb' }, { q: 'c'.repeat(60) }]),
      templates: [{ input: '{q}', target: 'ok' }],
      formats: { 'few-shot': 1 },
      fewShot: { shots: 1, maxInputTokens: 30 },
    });
    const sampler = new MixtureSampler(await resolveMixture(registry, { name: 'm', tasks: ['mixed'] }), {
      seed: 2,
      tokenCounter: counter,
      shuffleBuffer: 0,
    });
    const examples = [];
    for await (const e of sampler.take(20)) examples.push(e);
    for (const e of examples) {
      expect(counter.countTokens(e.inputs)).toBeLessThanOrEqual(30);
      expect(e.inputs).not.toContain('ccc');
    }
    expect(sampler.dropped).toBeGreaterThan(0);
    expect(sampler.position).toBe(20 + sampler.dropped);
  });
});

describe('FLAN few-shot patterns in tasks', () => {
  it('a pattern template lays out exemplars with its own prefixes and separators', () => {
    const pattern = {
      name: 'fs0',
      input: '{q}',
      target: '{a}',
      inputsPrefix: 'Problem: ',
      targetsPrefix: 'A: ',
      xYDelimiter: '\n',
      exampleSeparator: '\n\n',
      finalSuffix: '',
      inputPattern: '{{inputs}}{final_suffix}',
      inTemplateMix: false,
    };
    const task = {
      name: 'p',
      source: arraySource([]),
      templates: [pattern],
      fewShot: { shots: 1, layout: { xYDelimiter: 'IGNORED' } },
    };
    const pool = [{ key: 'e', fields: { q: 'one', a: '1' } }];
    const out = renderExample(task, { q: 'two', a: '2' }, 'few-shot', createRng(0), {
      exemplarPool: pool,
      exampleKey: 'x',
    })!;
    expect(out).toEqual({
      inputs: 'Problem: one\nA: 1\n\nProblem: two\nA:',
      targets: '2',
      task: 'p',
      template: 'fs0',
      format: 'few-shot',
    });
  });
});
