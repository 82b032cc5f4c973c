/**
 * `flan tokenize` end to end through the built CLI: the reference JSONL files go through `--jsonl
 * --plain` and come back equal, record for record; T5 mode, decoding and bad lines behave as documented.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedFile, sharedFiles } from '@flan-ts/test-support';
import { describe, expect, it } from 'vitest';
import { outputLines as lines, runFlan } from './run-flan';

const flan = (args: string[], input = '') => runFlan(['tokenize', ...args], input);

for (const [model, reference] of [
  ['t5_spiece.model', 't5_spiece.visible.jsonl'],
  ['spm_example.model', 'spm_example.visible.jsonl'],
] as const) {
  const paths = sharedFiles(`fixtures/tokenizers/${model}`, `fixtures/tokenizers/${reference}`);
  describe.skipIf(!paths)(`flan tokenize --plain --jsonl on ${reference}`, () => {
    it('reproduces every reference record (same keys, order and values)', async () => {
      const [modelPath, referencePath] = paths!;
      const { code, stdout, stderr } = await flan([
        '--tokenizer',
        modelPath,
        '--plain',
        '--jsonl',
        '--input',
        referencePath,
      ]);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const expected = lines(readFileSync(referencePath, 'utf8'));
      const actual = lines(stdout);
      expect(actual).toHaveLength(expected.length);
      const mismatches = expected.filter((line, i) => {
        const got = actual[i]!;
        return (
          JSON.stringify(JSON.parse(got)) !== JSON.stringify(JSON.parse(line)) ||
          /[\u0085\u2028\u2029]/.test(got)
        );
      });
      expect(mismatches).toEqual([]);
      // Keys keep the input's order, then ids, pieces, decoded.
      expect(Object.keys(JSON.parse(actual[0]!))).toEqual(['text', 'ids', 'pieces', 'decoded']);
    });
  });
}

const t5 = sharedFile('fixtures/tokenizers/t5_spiece.model');
const modelDir = sharedFile('fixtures/models/flan-t5-tiny');
const tokenizerJson = sharedFile('fixtures/tokenizers/legal_t5_tokenizer.json');

describe.skipIf(!t5 || !modelDir || !tokenizerJson)('flan tokenize', () => {
  it('turns each line into a JSON id array with T5 semantics (the README command)', async () => {
    const { code, stdout } = await flan(
      ['--tokenizer', t5!],
      'Translate to German: That is good.\n\nThe <extra_id_0> park\n',
    );
    expect(code).toBe(0);
    expect(lines(stdout).map((l) => JSON.parse(l) as number[])).toEqual([
      [30355, 15, 12, 2968, 10, 466, 19, 207, 5, 1],
      [1],
      [37, 32099, 2447, 1],
    ]);
  });

  it('gives plain SentencePiece ids with --plain', async () => {
    const { stdout } = await flan(['--tokenizer', t5!, '--plain'], 'Hello world</s>\n');
    expect(JSON.parse(stdout)).not.toContain(1);
  });

  it('accepts a model directory and a tokenizer.json', async () => {
    for (const path of [modelDir!, tokenizerJson!]) {
      const { code, stdout } = await flan(['--tokenizer', path], 'Hello world\n');
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toEqual(path === modelDir ? [8774, 296, 1] : expect.arrayContaining([1]));
    }
  });

  it('keeps extra keys of --jsonl records and adds ids, pieces, decoded', async () => {
    const { stdout } = await flan(['--tokenizer', t5!, '--jsonl'], '{"id": 7, "text": "Hello world"}\n');
    expect(JSON.parse(stdout)).toEqual({
      id: 7,
      text: 'Hello world',
      ids: [8774, 296, 1],
      pieces: ['▁Hello', '▁world', '</s>'],
      decoded: 'Hello world</s>',
    });
  });

  it('decodes id arrays with --decode', async () => {
    const { code, stdout } = await flan(['--tokenizer', t5!, '--decode'], '[8774, 296, 1]\n[]\n');
    expect(code).toBe(0);
    expect(stdout).toBe('Hello world</s>\n\n');
    const skipped = await flan(['--tokenizer', t5!, '--decode', '--skip-special-tokens'], '[8774, 296, 1]\n');
    expect(skipped.stdout).toBe('Hello world\n');
    const jsonl = await flan(
      ['--tokenizer', t5!, '--decode', '--jsonl', '--plain'],
      '{"ids": [8774, 296]}\n',
    );
    expect(JSON.parse(jsonl.stdout)).toEqual({ ids: [8774, 296], decoded: 'Hello world' });
  });

  it('stops at a bad line, naming it, with a non-zero exit code', async () => {
    const { code, stdout, stderr } = await flan(
      ['--tokenizer', t5!, '--jsonl'],
      '{"text": "ok"}\n{"txt": "no"}\n{"text": "late"}\n',
    );
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/<stdin>:2: missing field "text"/);
    expect(lines(stdout)).toHaveLength(1);
  });

  it('goes on past bad lines with --skip-invalid and reports how many were skipped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flan-tokenize-'));
    const input = join(dir, 'ids.jsonl');
    writeFileSync(input, '[8774]\nnot json\n[99999]\n[296, 1]\n');
    const { code, stdout, stderr } = await flan([
      '--tokenizer',
      t5!,
      '--decode',
      '--skip-invalid',
      '--input',
      input,
    ]);
    expect(code).toBe(0);
    expect(stdout).toBe('Hello\nworld</s>\n');
    expect(stderr).toMatch(/ids\.jsonl:2: invalid JSON/);
    expect(stderr).toMatch(/ids\.jsonl:3: id 99999 at position 0 is out of range/);
    expect(stderr).toMatch(/skipped 2 invalid line\(s\) of 4/);
  });

  it('fails clearly on a missing or corrupt tokenizer', async () => {
    const missing = await flan(['--tokenizer', '/nonexistent.model'], 'x\n');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/cannot load tokenizer: cannot read \/nonexistent\.model/);
    const dir = mkdtempSync(join(tmpdir(), 'flan-tokenize-'));
    const corrupt = join(dir, 'bad.model');
    writeFileSync(corrupt, readFileSync(t5!).subarray(0, 1000));
    const bad = await flan(['--tokenizer', corrupt], 'x\n');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/cannot load tokenizer: .*not a valid SentencePiece model/);
  });
});
