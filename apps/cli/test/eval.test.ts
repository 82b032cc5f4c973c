/**
 * `flan eval prompts|extract|vote|normalize|chance` end to end through the built CLI: every
 * reference record of data/eval comes back exactly; bad input is one line naming the problem.
 */
import { readFileSync } from 'node:fs';
import { sharedFile } from '@flan-ts/test-support';
import { describe, expect, it } from 'vitest';
import { outputLines as lines, runFlan } from './run-flan';

const flan = (args: string[], input = '') => runFlan(['eval', ...args], input);
const dataDir = sharedFile('data');
const evalDir = sharedFile('data/eval');

const read = (name: string): Record<string, unknown>[] =>
  lines(readFileSync(`${evalDir}/${name}`, 'utf8')).map((l) => JSON.parse(l) as Record<string, unknown>);

function without(record: Record<string, unknown>, ...names: string[]): Record<string, unknown> {
  const out = { ...record };
  for (const n of names) delete out[n];
  return out;
}

describe.skipIf(!dataDir || !evalDir)('flan eval on the data/eval reference cases', () => {
  it('prompts: every record of prompts.jsonl, field for field and in field order', async () => {
    const references = read('prompts.jsonl');
    const groups = new Map<string, Record<string, unknown>[]>();
    for (const r of references) {
      const key = `${r.benchmark as string} ${r.format as string}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    expect(groups.size).toBe(7);
    const mismatches: string[] = [];
    await Promise.all(
      [...groups].map(async ([key, refs]) => {
        const [benchmark, format] = key.split(' ') as [string, string];
        const ids = [...new Set(refs.map((r) => r.example_id as string))];
        const { code, stdout, stderr } = await flan([
          'prompts',
          '--data',
          dataDir!,
          '--benchmark',
          benchmark,
          '--format',
          format,
          '--ids',
          ids.join(','),
        ]);
        expect(stderr).toBe('');
        expect(code).toBe(0);
        const byId = new Map(
          lines(stdout).map((l) => [(JSON.parse(l) as { example_id: string }).example_id, l]),
        );
        for (const ref of refs)
          if (byId.get(ref.example_id as string) !== JSON.stringify(ref))
            mismatches.push(`${key} ${ref.example_id as string}`);
      }),
    );
    expect(mismatches).toEqual([]);
  });

  it('prompts --task --limit: the first n records of one task', async () => {
    const { code, stdout } = await flan([
      'prompts',
      '--data',
      dataDir!,
      '--benchmark',
      'mgsm',
      '--format',
      'native_cot',
      '--task',
      'zh',
      '--limit',
      '3',
    ]);
    expect(code).toBe(0);
    expect(lines(stdout).map((l) => (JSON.parse(l) as { example_id: string }).example_id)).toEqual([
      'zh/0',
      'zh/1',
      'zh/2',
    ]);
  });

  it('extract: extracted and correct (and extracted_via for MGSM) of every record of scoring.jsonl', async () => {
    const references = read('scoring.jsonl');
    const input = references
      .map((r) => JSON.stringify(without(r, 'extracted', 'correct', 'extracted_via')))
      .join('\n');
    const { code, stdout, stderr } = await flan(['extract', '--jsonl'], input + '\n');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(lines(stdout).map((l) => JSON.parse(l))).toEqual(references);
  });

  it('vote: every record of self_consistency.jsonl, vote counts in first-seen order', async () => {
    const raw = lines(readFileSync(`${evalDir}/self_consistency.jsonl`, 'utf8'));
    const references = read('self_consistency.jsonl');
    const input = references.map((r) =>
      JSON.stringify(without(r, 'extracted', 'votes', 'majority', 'correct')),
    );
    const { code, stdout } = await flan(['vote', '--jsonl'], input.join('\n') + '\n');
    expect(code).toBe(0);
    const out = lines(stdout);
    expect(out.map((l) => JSON.parse(l))).toEqual(references);
    // Python's json writes the counts in insertion order; so must we ("21" before "18").
    const order = (l: string) => /"votes": ?(\{[^}]*\})/.exec(l)![1]!.replace(/ /g, '');
    expect(out.map(order)).toEqual(raw.map(order));
  });

  it('normalize --data: chance, normalized and normalized_average of every row within 1e-9', async () => {
    const rows = read('normalized_average.jsonl').filter((r) => r.kind === 'normalized_average');
    const input = rows.map((r) => JSON.stringify({ model: r.model, scores: r.scores })).join('\n');
    const { code, stdout } = await flan(['normalize', '--jsonl', '--data', dataDir!], input + '\n');
    expect(code).toBe(0);
    const out = lines(stdout).map((l) => JSON.parse(l) as Record<string, Record<string, number>>);
    expect(out).toHaveLength(rows.length);
    out.forEach((got, i) => {
      const ref = rows[i] as Record<string, Record<string, number>>;
      for (const part of ['chance', 'normalized'] as const)
        for (const [k, v] of Object.entries(ref[part]!))
          expect(Math.abs(got[part]![k]! - v)).toBeLessThan(1e-9);
      expect(
        Math.abs(
          (got.normalized_average as unknown as number) - (ref.normalized_average as unknown as number),
        ),
      ).toBeLessThan(1e-9);
    });
    // Some columns may be missing: the average is over those present.
    const partial = await flan(['normalize', '--jsonl'], '{"scores":{"mmlu_direct":55,"tydiqa":10}}\n');
    expect(JSON.parse(partial.stdout)).toMatchObject({
      normalized: { mmlu_direct: 40, tydiqa: 10 },
      normalized_average: 25,
    });
  });

  it('chance --data: the bbh_chance record', async () => {
    const [ref] = read('normalized_average.jsonl').filter((r) => r.kind === 'bbh_chance');
    const { code, stdout } = await flan(['chance', '--data', dataDir!]);
    expect(code).toBe(0);
    const got = JSON.parse(stdout) as Record<string, unknown>;
    expect(Object.keys(got)).toEqual(Object.keys(ref!));
    for (const [k, v] of Object.entries(ref!.per_task as Record<string, number>))
      expect(Math.abs((got.per_task as Record<string, number>)[k]! - v)).toBeLessThan(1e-9);
    expect(Math.abs((got.macro_27_subtasks as number) - (ref!.macro_27_subtasks as number))).toBeLessThan(
      1e-9,
    );
  });

  it('bad input: one line naming the benchmark, format, task, folder or line; non-zero exit', async () => {
    const args = (benchmark: string, format: string, ...rest: string[]) =>
      flan(['prompts', '--data', dataDir!, '--benchmark', benchmark, '--format', format, ...rest]);
    const cases = await Promise.all([
      args('gsm8k', 'cot'),
      args('bbh', 'native_cot'),
      args('bbh', 'cot', '--task', 'nope'),
      flan(['prompts', '--data', '/nonexistent', '--benchmark', 'bbh', '--format', 'cot']),
      flan(['chance', '--data', '/nonexistent']),
    ]);
    expect(cases.map((c) => c.code)).toEqual([1, 1, 1, 1, 1]);
    expect(cases.map((c) => c.stderr)).toEqual([
      'flan: unknown benchmark "gsm8k" (known: mmlu, bbh, tydiqa, mgsm)\n',
      'flan: unknown format "native_cot" for bbh (known: direct, cot)\n',
      `flan: unknown bbh task "nope" in ${dataDir}\n`,
      'flan: cannot read the folder /nonexistent/bbh: no such folder\n',
      'flan: cannot read the folder /nonexistent/bbh: no such folder\n',
    ]);
    const good =
      '{"benchmark":"bbh","format":"direct","task":"navigate","model_output":"Yes.","target":"Yes"}';
    const input =
      [good, '{broken', '{"benchmark":"bbh","format":"zz","task":"t","model_output":"","target":""}'].join(
        '\n',
      ) + '\n';
    const failed = await flan(['extract', '--jsonl'], input);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^flan: <stdin>:2: invalid JSON/);
    const skipped = await flan(['extract', '--jsonl', '--skip-invalid'], input);
    expect(skipped.code).toBe(0);
    expect(lines(skipped.stdout)).toHaveLength(1);
    expect(skipped.stderr).toContain('<stdin>:3: unknown format "zz" for bbh (known: direct, cot)');
    const missing = await flan(['extract', '--jsonl', '--input', '/nonexistent.jsonl']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^flan: cannot read \/nonexistent\.jsonl/);
  });
});
