/**
 * `flan eval run` with flan-t5-tiny on a few examples: results.json / results.md are written, a
 * resumed run after an interruption recomputes only what was missing, and `--workers 2` gives the
 * numbers of `--workers 1`. Kept tiny (2 tasks × 2 examples, 8 new tokens): the model's answers are
 * noise; what is checked is the bookkeeping.
 */
import { mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedFiles } from '@flan-ts/test-support';
import { describe, expect, it } from 'vitest';
import { runFlan } from './run-flan';

const paths = sharedFiles('data', 'fixtures/models/flan-t5-tiny');

interface Results {
  timings: { wall_s: number; examples: number; computed: number; cached: number };
  table5: { scores: Record<string, number>; normalized_average: number };
  benchmarks: { benchmark: string; format: string; mode: string; macro: number; n: number; tasks: object }[];
  data: { mmlu_split: string };
  model: { fingerprint: string };
}

describe.skipIf(!paths)('flan eval run with flan-t5-tiny', () => {
  const [data, model] = paths ?? ['', ''];
  const args = (out: string, ...more: string[]) => [
    'eval',
    'run',
    '--model',
    model,
    '--data',
    data,
    '--out',
    out,
    '--benchmarks',
    'bbh,mmlu,tydiqa,mgsm',
    '--tasks',
    'navigate,anatomy,sw',
    '--mode',
    'generate,rank',
    '--limit',
    '2',
    '--max-new-tokens',
    '8',
    ...more,
  ];
  const cacheLines = (out: string, name = 'cache.jsonl') =>
    readFileSync(join(out, name), 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  const numbers = (out: string) => {
    const r = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    return { table5: r.table5, benchmarks: r.benchmarks };
  };

  it('writes results.json, results.md and report.html; a resumed run recomputes only what was missing; compare', async () => {
    const out = mkdtempSync(join(tmpdir(), 'flan-eval-run-'));
    const first = await runFlan(args(out, '--workers', '1'));
    expect(first.code).toBe(0);
    // Without a terminal, one plain line per benchmark × format × mode when it finishes.
    expect(
      first.stderr
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.replace(/ at .* s$/, '')),
    ).toEqual(
      expect.arrayContaining([
        'bbh direct (generate): 2/2 examples (0 cached)',
        'mmlu direct (rank): 2/2 examples (0 cached)',
        'mgsm native_cot (generate): 2/2 examples (0 cached)',
      ]),
    );
    expect(first.stderr.split('\n').filter((l) => l !== '')).toHaveLength(7);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    expect(results.data.mmlu_split).toBe('test');
    expect(results.benchmarks.map((b) => `${b.benchmark} ${b.format} ${b.mode} ${b.n}`)).toEqual([
      'bbh direct generate 2',
      'bbh cot generate 2',
      'mmlu direct generate 2',
      'mmlu direct rank 2',
      'mmlu cot generate 2',
      'tydiqa direct_1shot generate 2',
      'mgsm native_cot generate 2',
    ]);
    expect(Object.keys(results.table5.scores)).toEqual([
      'mmlu_direct',
      'mmlu_cot',
      'bbh_direct',
      'bbh_cot',
      'tydiqa',
      'mgsm',
    ]);
    const md = readFileSync(join(out, 'results.md'), 'utf8');
    expect(md).toContain(
      '| Model | MMLU Direct | MMLU CoT | BBH Direct | BBH CoT | TyDiQA Direct | MGSM CoT | Norm. avg. |',
    );
    expect(md).toContain('MMLU split: test');
    const all = cacheLines(out);
    expect(all).toHaveLength(14);

    const firstNumbers = numbers(out);

    // An interruption: 5 results written and a sixth cut off mid-line.
    writeFileSync(join(out, 'cache.jsonl'), all.slice(0, 5).join('\n') + '\n' + all[5]!.slice(0, 40));
    const resumed = await runFlan(args(out, '--workers', '1', '--resume'));
    expect(resumed.code).toBe(0);
    const after = cacheLines(out);
    expect(after.slice(0, 5)).toEqual(all.slice(0, 5));
    const parses = (l: string) => {
      try {
        return JSON.parse(l) !== null;
      } catch {
        return false;
      }
    };
    // The cut-off line stays as it was; exactly the 9 missing results were added.
    expect(after).toHaveLength(all.length + 1);
    expect(after.filter(parses)).toHaveLength(all.length);
    expect(numbers(out)).toEqual(firstNumbers);

    // Finished: nothing is recomputed, not even the model is loaded.
    const before = readFileSync(join(out, 'cache.jsonl'), 'utf8');
    const again = await runFlan(args(out, '--workers', '1', '--resume'));
    expect(again.code).toBe(0);
    expect(readFileSync(join(out, 'cache.jsonl'), 'utf8')).toBe(before);

    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html.split('<svg').length - 1).toBe(7);
    expect(html).toContain('<h2>mmlu direct (rank): ');

    const two = mkdtempSync(join(tmpdir(), 'flan-eval-run-'));
    writeFileSync(join(two, 'results.json'), readFileSync(join(out, 'results.json')));
    const side = join(two, 'compare.html');
    const compared = await runFlan([
      'eval',
      'compare',
      join(out, 'results.json'),
      join(two, 'results.json'),
      '--html',
      side,
    ]);
    expect(compared.code).toBe(0);
    const sideHtml = readFileSync(side, 'utf8');
    expect(sideHtml.split('<svg').length - 1).toBe(7);
    expect(sideHtml).toMatch(
      /<tr><td>BBH CoT<\/td><td class="n">\d+\.\d<\/td><td class="n">\d+\.\d<\/td><td class="n">\+0\.0<\/td><\/tr>/,
    );
    expect(compared.stdout).toMatch(/^\| \| .*flan-t5-tiny \| .*flan-t5-tiny \| Δ \|\n/);
    expect(compared.stdout).toMatch(/\| BBH CoT \| \d+\.\d \| \d+\.\d \| \+0\.0 \|/);
    expect(compared.stdout).toContain('| mmlu direct (rank) |');
    const missing = await runFlan(['eval', 'compare', join(out, 'nope.json'), join(two, 'results.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^flan: cannot read .*nope\.json/);
  }, 300_000);

  it('--self-consistency k: k samples per CoT example, voted; direct formats stay greedy', async () => {
    const out = mkdtempSync(join(tmpdir(), 'flan-eval-run-'));
    const run = await runFlan([
      'eval',
      'run',
      '--model',
      model,
      '--data',
      data,
      '--out',
      out,
      '--benchmarks',
      'bbh',
      '--tasks',
      'navigate',
      '--limit',
      '1',
      '--max-new-tokens',
      '4',
      '--workers',
      '1',
      '--self-consistency',
      '3',
      '--temperature',
      '0.7',
      '--top-k',
      '40',
    ]);
    expect(run.code).toBe(0);
    const results = cacheLines(out).map(
      (l) => JSON.parse(l) as { format: string; samples?: string[]; model_output?: string },
    );
    expect(results.map((r) => [r.format, r.samples?.length ?? 'greedy'])).toEqual([
      ['direct', 'greedy'],
      ['cot', 3],
    ]);
  });

  // The CI run: all four benchmarks, both formats, rank mode for MMLU direct, --limit 5 per
  // task. --max-new-tokens 8 keeps it near a minute on 2 cores (CoT still stops at its stop strings
  // or the limit; the tiny model's answers are noise either way).
  it('the full run of all four benchmarks (--limit 5): resume recomputes nothing, --workers 2 = --workers 1', async () => {
    const full = (out: string, ...more: string[]) => [
      'eval',
      'run',
      '--model',
      model,
      '--data',
      data,
      '--out',
      out,
      '--mode',
      'generate,rank',
      '--limit',
      '5',
      '--max-new-tokens',
      '8',
      '--batch-size',
      '16',
      ...more,
    ];
    const one = mkdtempSync(join(tmpdir(), 'flan-eval-full-'));
    const started = Date.now();
    const first = await runFlan(full(one, '--workers', '1'));
    const wall = (Date.now() - started) / 1000;
    expect(first.stderr).not.toMatch(/error/i);
    expect(first.code).toBe(0);
    const results = JSON.parse(readFileSync(join(one, 'results.json'), 'utf8')) as Results;
    // 57 MMLU subjects, 27 BBH tasks, 9 TyDiQA and 11 MGSM languages (English included, not averaged).
    expect(results.benchmarks.map((b) => `${b.benchmark} ${b.format} ${b.mode} ${b.n}`)).toEqual([
      'mmlu direct generate 285',
      'mmlu direct rank 285',
      'mmlu cot generate 285',
      'bbh direct generate 135',
      'bbh cot generate 135',
      'tydiqa direct_1shot generate 45',
      'mgsm native_cot generate 55',
    ]);
    expect(Object.keys(results.table5.scores)).toHaveLength(6);
    expect(Number.isFinite(results.table5.normalized_average)).toBe(true);
    expect(results.timings).toMatchObject({ examples: 1225, computed: 1225, cached: 0 });
    process.stderr.write(`full flan eval run, --workers 1: ${wall.toFixed(1)} s wall\n`);

    const cache = readFileSync(join(one, 'cache.jsonl'), 'utf8');
    const resumed = await runFlan(full(one, '--workers', '1', '--resume'));
    expect(resumed.code).toBe(0);
    const again = JSON.parse(readFileSync(join(one, 'results.json'), 'utf8')) as Results;
    // Every result is a cache hit; nothing is appended.
    expect(again.timings).toMatchObject({ examples: 1225, computed: 0, cached: 1225 });
    expect(readFileSync(join(one, 'cache.jsonl'), 'utf8')).toBe(cache);
    expect(resumed.stderr).toContain('mmlu cot (generate): 285/285 examples (285 cached)');
    expect({ table5: again.table5, benchmarks: again.benchmarks }).toEqual(numbers(one));

    const two = mkdtempSync(join(tmpdir(), 'flan-eval-full-'));
    const startedTwo = performance.now();
    const workers = await runFlan(full(two, '--workers', '2'));
    expect(workers.code).toBe(0);
    process.stderr.write(
      `full flan eval run, --workers 2 (each worker --threads ${Math.max(1, Math.floor(availableParallelism() / 2))}): ${((performance.now() - startedTwo) / 1000).toFixed(1)} s wall\n`,
    );
    // The parent counts the batches its workers report.
    expect(workers.stderr).toContain('mmlu cot (generate): 285/285 examples (0 cached)');
    expect(workers.stderr).toContain('mgsm native_cot (generate): 55/55 examples (0 cached)');
    const shards = readdirSync(two)
      .filter((n) => n.startsWith('cache.'))
      .sort();
    expect(shards).toEqual(['cache.shard-0.jsonl', 'cache.shard-1.jsonl']);
    expect(shards.reduce((n, f) => n + cacheLines(two, f).length, 0)).toBe(1225);
    expect(numbers(two)).toEqual(numbers(one));
  }, 900_000);

  it('a tokenizer that disagrees with the model is named before any example runs', async () => {
    // flan-t5-tiny with eos_token_id 2 in its config: the tokenizer's eos is 1.
    const dir = mkdtempSync(join(tmpdir(), 'flan-eval-mismatch-'));
    for (const name of readdirSync(model))
      if (name !== 'config.json') symlinkSync(join(model, name), join(dir, name));
    const config = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, eos_token_id: 2 }));
    const out = mkdtempSync(join(tmpdir(), 'flan-eval-run-'));
    const run = (workers: string) =>
      runFlan([
        'eval',
        'run',
        '--model',
        dir,
        '--data',
        data,
        '--tasks',
        'navigate',
        '--limit',
        '1',
        '--out',
        out,
        '--workers',
        workers,
      ]);
    const expected =
      "flan: --model: the tokenizer's eos id is 1 but the model's config says eos_token_id 2\n";
    for (const workers of ['1', '2']) {
      const result = await run(workers);
      expect(result.code).toBe(1);
      // One line, also when the workers found it.
      expect(result.stderr).toBe(expected);
    }
    expect(readdirSync(out).filter((n) => n.startsWith('cache'))).toEqual([]);
  });

  it('bad input is named before any model time', async () => {
    const out = mkdtempSync(join(tmpdir(), 'flan-eval-run-'));
    const cases = await Promise.all([
      runFlan(['eval', 'run', '--model', model, '--data', data, '--benchmarks', 'bbx', '--out', out]),
      runFlan(['eval', 'run', '--model', model, '--data', data, '--formats', 'zz', '--out', out]),
      runFlan(['eval', 'run', '--model', model, '--data', data, '--tasks', 'nope', '--out', out]),
      runFlan([
        'eval',
        'run',
        '--model',
        './no-such-model',
        '--data',
        data,
        '--tasks',
        'navigate',
        '--out',
        out,
      ]),
    ]);
    expect(cases.map((c) => c.code)).toEqual([1, 1, 1, 1]);
    expect(cases.map((c) => c.stderr)).toEqual([
      'flan: unknown benchmark "bbx" (known: mmlu, bbh, tydiqa, mgsm)\n',
      'flan: --formats: unknown format "zz"\n',
      `flan: --tasks: "nope" is not a task of mmlu, bbh, tydiqa, mgsm in ${data}\n`,
      'flan: --model: no such directory ./no-such-model\n',
    ]);
  });
});
