/** The run's bookkeeping without a model: batching, stops, cache keys, aggregation and the report. */
import { describe, expect, it } from 'vitest';
import {
  aggregate,
  compareMarkdown,
  cutAtStop,
  encodePrompt,
  mmluPromptParts,
  planBatches,
  withShots,
  resultKey,
  resultsMarkdown,
  table5,
  type ExampleResult,
  type PromptRecord,
  type RunSettings,
} from '../src/index';
import { loadPrompts } from '../src/node';
import { dataDir } from './fixtures';

const tokenizer = {
  vocabSize: 100,
  encode: (text: string) => ({ ids: [...text].map((c) => c.charCodeAt(0) % 100).concat(1) }),
  decode: () => '',
};
const record = (task: string, prompt: string, i: number): PromptRecord => ({
  benchmark: 'bbh',
  format: 'direct',
  task,
  example_id: `${task}/${i}`,
  prompt,
  target: 'Yes',
});
const settings: RunSettings = { mode: 'generate', maxInputTokens: 2048, batchSize: 2 };

describe('run bookkeeping', () => {
  it('batches group prompts of similar length, the same way whatever else runs', () => {
    const prompts = ['aaaaaa', 'a', 'aaa', 'aa', 'aaaaa'].map((p, i) =>
      encodePrompt(record('t', p, i), String(i), tokenizer, 2048),
    );
    expect(planBatches(prompts, 2).map((b) => b.map((p) => p.key))).toEqual([['1', '3'], ['2', '4'], ['0']]);
  });

  it.skipIf(!dataDir)(
    'MMLU direct drops exemplars while the prompt is too long (as evaluate_flan.py)',
    async () => {
      for (const format of ['direct', 'direct_hendrycks']) {
        const [record] = await loadPrompts(dataDir!, 'mmlu', format, {
          task: 'high_school_european_history',
          limit: 1,
        });
        const parts = mmluPromptParts(record!.prompt, format)!;
        expect(parts.shots).toHaveLength(5);
        expect(withShots(parts, 5)).toBe(record!.prompt);
        const words = {
          vocabSize: 100,
          encode: (t: string) => ({ ids: t.split(' ').map(() => 5) }),
          decode: () => '',
        };
        const full = words.encode(record!.prompt).ids.length;
        const twoShots = words.encode(withShots(parts, 2)).ids.length;
        const fitted = encodePrompt(record!, 'k', words, twoShots);
        expect(fitted).toMatchObject({ truncated: false, shotsDropped: 3, promptTokens: full });
        expect(fitted.ids).toHaveLength(twoShots);
        // Not even the question alone fits: cut from the left.
        expect(encodePrompt(record!, 'k', words, 10)).toMatchObject({ truncated: true });
      }
    },
  );

  it('long prompts keep their end and are counted', () => {
    const p = encodePrompt(record('t', 'abcdefghij', 0), 'k', tokenizer, 4);
    expect(p).toMatchObject({ truncated: true, promptTokens: 11 });
    expect(p.ids).toEqual([...'hij'].map((c) => c.charCodeAt(0) % 100).concat(1));
  });

  it('stop strings cut the text; cache keys change with the settings and the model', () => {
    expect(cutAtStop('So the answer is (A).\n\nQ: next', ['\n\n'])).toBe('So the answer is (A).');
    const a = resultKey('bbh', 'cot', 'navigate/0', 'm1', settings);
    expect(resultKey('bbh', 'cot', 'navigate/0', 'm1', { ...settings, batchSize: 8 })).toBe(a);
    expect(resultKey('bbh', 'cot', 'navigate/0', 'm2', settings)).not.toBe(a);
    expect(resultKey('bbh', 'cot', 'navigate/0', 'm1', { ...settings, maxNewTokens: 16 })).not.toBe(a);
    // Rank mode applies only where there are options: BBH keys do not change with it.
    expect(resultKey('bbh', 'cot', 'navigate/0', 'm1', { ...settings, mode: 'rank' })).toBe(a);
    expect(resultKey('mmlu', 'direct', 'x/test/0', 'm1', { ...settings, mode: 'rank' })).not.toBe(
      resultKey('mmlu', 'direct', 'x/test/0', 'm1', settings),
    );
  });

  it('macro means over tasks (English left out of MGSM), Table 5 columns, normalized average', () => {
    const r = (benchmark: string, format: string, task: string, correct: boolean): ExampleResult => ({
      key: '',
      benchmark,
      format,
      task,
      example_id: '',
      mode: 'generate',
      prompt_tokens: 1,
      truncated: false,
      shots_dropped: 0,
      extracted: '',
      correct,
    });
    const results = [
      r('mgsm', 'native_cot', 'en', true),
      r('mgsm', 'native_cot', 'de', true),
      r('mgsm', 'native_cot', 'de', false),
      r('mgsm', 'native_cot', 'fr', false),
      r('bbh', 'direct', 'navigate', true),
      r('bbh', 'direct', 'snarks', false),
      r('bbh', 'direct', 'snarks', false),
    ];
    const scores = aggregate(results);
    expect(scores.map((s) => [s.benchmark, s.macro, s.n])).toEqual([
      ['mgsm', 25, 4],
      ['bbh', 50, 3],
    ]);
    expect(scores[0]!.tasks.en).toEqual({ accuracy: 100, n: 1, truncated: 0, shots_dropped: 0 });
    const t5 = table5(scores, 50);
    expect(t5.scores).toEqual({ bbh_direct: 50, mgsm: 25 });
    expect(t5.normalized_average).toBe(12.5);
    const md = resultsMarkdown({ model: 'm', scores, mmluSplit: 'test', bbhChance: 50 });
    expect(md).toContain('| m | – | – | 50.0 | – | – | 25.0 | 12.5 |');
    expect(md).toContain('| en | 100.0 | 1 | 0 | 0 |');
    const base = { model: { source: 'base' }, table5: t5, benchmarks: scores };
    const tuned = { model: { source: 'tuned' }, table5: table5(scores.slice(1), 50), benchmarks: scores };
    expect(compareMarkdown(base, tuned)).toContain('| BBH Direct | 50.0 | 50.0 | +0.0 |');
    expect(compareMarkdown(base, tuned)).toContain('| MGSM CoT | 25.0 | – | – |');
    expect(compareMarkdown(base, tuned)).toContain('| Norm. avg. | 12.5 | 0.0 | -12.5 |');
  });
});
