/** report.html: an SVG bar chart per benchmark × format × mode, with the numbers in tables. */
import { describe, expect, it } from 'vitest';
import { aggregate, compareHtml, resultsHtml, table5, type ExampleResult } from '../src/index';

const result = (
  benchmark: string,
  format: string,
  task: string,
  correct: boolean,
  mode: 'generate' | 'rank' = 'generate',
): ExampleResult => ({
  key: '',
  benchmark,
  format,
  task,
  example_id: '',
  mode,
  prompt_tokens: 1,
  truncated: false,
  shots_dropped: 0,
  extracted: '',
  correct,
});

function run(source: string, flip: boolean) {
  const results = [
    result('bbh', 'direct', 'navigate', true),
    result('bbh', 'direct', 'snarks', flip),
    result('bbh', 'direct', 'snarks', false),
    result('bbh', 'direct', 'snarks', false),
    result('mmlu', 'direct', 'anatomy', true, 'rank'),
    result('mmlu', 'direct', 'anatomy', flip, 'rank'),
    result('mgsm', 'native_cot', 'de', flip),
  ];
  const benchmarks = aggregate(results);
  return { model: { source }, table5: table5(benchmarks), benchmarks, data: { mmlu_split: 'test' } };
}

const count = (text: string, part: string) => text.split(part).length - 1;

describe('HTML report', () => {
  it('one run: Table 5, then an SVG chart and the per-task numbers per unit', async () => {
    const html = await resultsHtml(run('flan-t5-tiny', false));
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(count(html, '<svg')).toBe(3);
    expect(count(html, '<section class="benchmark"')).toBe(3);
    expect(html).toContain('<h2>bbh direct (generate): 50.0</h2>');
    expect(html).toContain('<h2>mmlu direct (rank): 50.0</h2>');
    expect(html).toContain('<tr><td>snarks</td><td class="n">0.0</td></tr>');
    expect(html).toContain('<tr><td>BBH Direct</td><td class="n">50.0</td></tr>');
    expect(html).toContain('<tr><td>MGSM CoT</td><td class="n">0.0</td></tr>');
    expect(html).toContain('MMLU split: test');
    // Static SVG: no script, nothing fetched.
    expect(html).not.toContain('<script');
    // The chart's axis labels are the tasks.
    const bbh = html.slice(html.indexOf('data-unit="bbh direct (generate)"'));
    expect(bbh.slice(0, bbh.indexOf('</svg>'))).toMatch(/>navigate<[\s\S]*>snarks</);
  });

  it('two runs side by side: grouped bars per task, and b − a', async () => {
    const html = await compareHtml(run('base', false), run('tuned', true));
    expect(count(html, '<svg')).toBe(3);
    expect(html).toContain('<title>base vs tuned</title>');
    expect(html).toContain('<tr><th></th><th>base</th><th>tuned</th><th>Δ</th></tr>');
    expect(html).toContain(
      '<tr><td>snarks</td><td class="n">0.0</td><td class="n">33.3</td><td class="n">+33.3</td></tr>',
    );
    expect(html).toContain(
      '<tr><td>MGSM CoT</td><td class="n">0.0</td><td class="n">100.0</td><td class="n">+100.0</td></tr>',
    );
    expect(html).toContain('<h2>mmlu direct (rank): 50.0 vs 100.0</h2>');
    // Both runs are in the legend.
    expect(html).toMatch(/>base<[\s\S]*>tuned</);
  });
});
