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

const qwen3 = sharedFiles('fixtures/tokenizers/qwen3/tokenizer.json', 'fixtures/tokenizers/qwen3.jsonl');

describe.skipIf(!qwen3)('flan tokenize with Qwen3 tokenizer.json (byte-level BPE)', () => {
  const [jsonPath, referencePath] = qwen3 ?? ['', ''];
  const reference = lines(readFileSync(referencePath || '/dev/null', 'utf8')).map(
    (l) =>
      JSON.parse(l) as {
        text: string;
        ids: number[];
        tokens: string[];
        decoded: string;
        decoded_skip_special: string;
      },
  );

  it('--jsonl gives the reference ids, tokens and decoded text on every line (file and directory)', async () => {
    const input = reference.map((r) => JSON.stringify({ text: r.text })).join('\n') + '\n';
    for (const tokenizer of [jsonPath, jsonPath.replace(/\/tokenizer\.json$/, '')]) {
      const { code, stdout, stderr } = await flan(['--tokenizer', tokenizer, '--jsonl'], input);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const out = lines(stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(out).toHaveLength(2686);
      const mismatches = reference.filter((r, i) => {
        const got = out[i]!;
        return (
          JSON.stringify([got.text, got.ids, got.pieces, got.decoded]) !==
          JSON.stringify([r.text, r.ids, r.tokens, r.decoded])
        );
      });
      expect(mismatches.map((r) => r.text.slice(0, 60))).toEqual([]);
    }
  });

  it('--decode --skip-special-tokens --jsonl gives decoded_skip_special on every line', async () => {
    const input = reference.map((r) => JSON.stringify({ ids: r.ids })).join('\n') + '\n';
    const { code, stdout, stderr } = await flan(
      ['--tokenizer', jsonPath, '--decode', '--skip-special-tokens', '--jsonl'],
      input,
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = lines(stdout).map((l) => JSON.parse(l) as { decoded: string });
    expect(out.map((o) => o.decoded)).toEqual(reference.map((r) => r.decoded_skip_special));
  });

  it('refuses --plain, which only SentencePiece has', async () => {
    const run = await flan(['--tokenizer', jsonPath, '--plain'], 'x\n');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/--plain needs a SentencePiece tokenizer/);
  });

  it('names an unknown tokenizer.json component before reading any text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flan-tokenize-'));
    const bad = join(dir, 'tokenizer.json');
    const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(bad, JSON.stringify({ ...json, decoder: { type: 'Mystery' } }));
    const run = await flan(['--tokenizer', bad, '--jsonl'], 'not even json\n');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(
      /cannot load tokenizer: .*tokenizer\.json: decoder type "Mystery" is not supported/,
    );
    expect(run.stdout).toBe('');
  });
});

describe.skipIf(!t5)('strict UTF-8 input', () => {
  it('reports the file and line of invalid UTF-8 instead of dropping bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flan-tokenize-'));
    const input = join(dir, 'bad.txt');
    writeFileSync(
      input,
      Buffer.concat([Buffer.from('Hello\nab'), Buffer.from([0xc3, 0x28]), Buffer.from('\nworld\n')]),
    );
    const strict = await flan(['--tokenizer', t5!, '--input', input]);
    expect(strict.code).not.toBe(0);
    expect(strict.stdout).toBe('[8774,1]\n');
    expect(strict.stderr).toBe(`flan: ${input}:2: invalid UTF-8 at byte 3 of the line\n`);
    const skipping = await flan(['--tokenizer', t5!, '--input', input, '--skip-invalid']);
    expect(skipping.code).toBe(0);
    expect(skipping.stdout).toBe('[8774,1]\n[296,1]\n');
    expect(skipping.stderr).toMatch(/skipped .*bad\.txt:2: invalid UTF-8 at byte 3 of the line/);
    expect(skipping.stderr).toMatch(/skipped 1 invalid line\(s\) of 3/);
  });
});
