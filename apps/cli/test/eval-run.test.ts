/**
 * `flan eval run` with flan-t5-tiny on a few examples: results.json / results.md are written, a
 * resumed run after an interruption recomputes only what was missing, and `--workers 2` gives the
 * numbers of `--workers 1`. Kept tiny (2 tasks × 2 examples, 8 new tokens): the model's answers are
 * noise; what is checked is the bookkeeping.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedFiles } from '@flan-ts/test-support';
import { describe, expect, it } from 'vitest';
import { runFlan } from './run-flan';

const paths = sharedFiles('data', 'fixtures/models/flan-t5-tiny');

interface Results {
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

  it('writes results.json and results.md; a resumed run recomputes only what was missing', async () => {
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

    const two = mkdtempSync(join(tmpdir(), 'flan-eval-run-'));
    const workers = await runFlan(args(two, '--workers', '2'));
    expect(workers.code).toBe(0);
    expect(
      cacheLines(two, 'cache.shard-0.jsonl').length + cacheLines(two, 'cache.shard-1.jsonl').length,
    ).toBe(14);
    expect(numbers(two)).toEqual(firstNumbers);

    const compared = await runFlan(['eval', 'compare', join(out, 'results.json'), join(two, 'results.json')]);
    expect(compared.code).toBe(0);
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
