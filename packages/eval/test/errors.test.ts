/** Bad input is named before any model time: unknown names, malformed lines, missing files. */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBbh, parseMmlu, scoreOutput, stripCanary } from '../src/index';
import { loadPrompts } from '../src/node';

describe('errors name what to fix', () => {
  it('unknown benchmark or format', () => {
    expect(() =>
      scoreOutput({ benchmark: 'gsm8k', format: 'cot', task: 'x', model_output: '', target: '' }),
    ).toThrow('unknown benchmark "gsm8k" (known: mmlu, bbh, tydiqa, mgsm)');
    expect(() =>
      scoreOutput({ benchmark: 'bbh', format: 'native_cot', task: 'x', model_output: '', target: '' }),
    ).toThrow('unknown format "native_cot" for bbh (known: direct, cot)');
  });

  it('a malformed data line names the file and line', () => {
    expect(() => parseBbh('{"input":"a","target":"b"}\n{"input":"a"}\n', 'bbh/x.jsonl')).toThrow(
      'bbh/x.jsonl:2: missing field "target"',
    );
    expect(() => parseMmlu('{oops\n', 'mmlu/test/a.jsonl')).toThrow(/^mmlu\/test\/a\.jsonl:1: invalid JSON/);
    expect(() => stripCanary('no canary here', 'bbh/cot-prompts/x.txt')).toThrow('bbh/cot-prompts/x.txt:1:');
  });

  it('a missing file or task is named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flan-eval-'));
    mkdirSync(join(dir, 'bbh', 'cot-prompts'), { recursive: true });
    writeFileSync(join(dir, 'bbh', 'navigate.jsonl'), '{"input":"q","target":"Yes"}\n');
    await expect(loadPrompts(dir, 'bbh', 'cot')).rejects.toThrow(
      `cannot read ${join(dir, 'bbh', 'cot-prompts', 'navigate.txt')}: no such file`,
    );
    await expect(loadPrompts(dir, 'bbh', 'cot', { task: 'nope' })).rejects.toThrow('unknown bbh task "nope"');
    await expect(loadPrompts(dir, 'mgsm', 'native_cot')).rejects.toThrow(
      `cannot read the folder ${join(dir, 'mgsm')}`,
    );
  });
});
