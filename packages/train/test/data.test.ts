import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arraySource, MixtureSampler, Registry, resolveMixture } from '@flan-ts/templates';
import { sharedFile } from '@flan-ts/test-support';
import { loadTokenizer } from '@flan-ts/tokenizer/node';
import { afterAll, describe, expect, it } from 'vitest';
import type { IdBatch } from '../src/batch';
import {
  Batcher,
  DataError,
  idJsonlExamples,
  mixtureExamples,
  packRow,
  packRows,
  padBatch,
  readLines,
  shiftRight,
  shuffleExamples,
  textJsonlExamples,
  trimExample,
  type BatcherOptions,
  type DataBatch,
  type Example,
  type ExampleSource,
  type ExampleTokenizer,
  type SourceState,
} from '../src/index';
import { idJsonlFile, textJsonlFile } from '../src/node';

const trainingDir = sharedFile('fixtures/training/flan-t5-tiny');
const modelDir = sharedFile('fixtures/models/flan-t5-tiny');

interface PackingFixture {
  feature_lengths: { inputs: number; targets: number };
  examples: Array<{ input: string; target: string; inputs: number[]; targets: number[] }>;
  rows: Array<Record<string, number[]> & { example_index_of_segment: Record<string, number> }>;
}
interface BatchesFixture {
  batches: Array<{
    input_ids: number[][];
    attention_mask: number[][];
    decoder_input_ids: number[][];
    labels: number[][];
  }>;
}
const readJson = async <T>(path: string): Promise<T> =>
  JSON.parse(await (await import('node:fs/promises')).readFile(path, 'utf8')) as T;

/** A toy tokenizer: one id per character (code + 2), eos 1, so lengths are easy to reason about. */
const charTokenizer: ExampleTokenizer = {
  encode: (text) => Array.from(text, (c) => c.codePointAt(0)! + 2),
  eosId: 1,
};

const tmp = mkdtempSync(join(tmpdir(), 'flan-train-data-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function textLines(n: number): string {
  // Lengths vary (1..13 characters) so buckets and packing have something to do.
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({ inputs: `q${i} ${'x'.repeat(i % 11)}`, targets: `a${'y'.repeat(i % 5)}`, task: 't' }),
  ).join('\n');
}

async function drain(batcher: Batcher, n: number): Promise<DataBatch[]> {
  const out: DataBatch[] = [];
  for (let i = 0; i < n; i++) {
    const next = await batcher.next();
    if (!next) break;
    out.push(next);
  }
  return out;
}

describe('packing (seqio EncDecFeatureConverter(pack=True), packing.json)', () => {
  it.skipIf(!trainingDir)('reproduces the fixture rows exactly, feature by feature', async () => {
    const fixture = await readJson<PackingFixture>(join(trainingDir!, 'packing.json'));
    const lengths = {
      inputLength: fixture.feature_lengths.inputs,
      targetLength: fixture.feature_lengths.targets,
    };
    const examples: Example[] = fixture.examples.map((e) => ({ inputs: e.inputs, targets: e.targets }));
    const rows = packRows(examples, lengths);
    // Example 3 fits the encoder (62 <= 64) but not the decoder (21 > 16): the decoder forces the break.
    expect(rows.map((r) => r.map((e) => examples.indexOf(e)))).toEqual([
      [0, 1, 2],
      [3, 4],
    ]);
    rows.forEach((segments, r) => {
      const expected = fixture.rows[r]!;
      const row = packRow(segments, lengths);
      for (const [key, value] of Object.entries(row)) expect(value, `row ${r} ${key}`).toEqual(expected[key]);
    });
  });

  it.skipIf(!trainingDir)('the batcher packs id JSONL into the fixture rows as an IdBatch', async () => {
    const fixture = await readJson<PackingFixture>(join(trainingDir!, 'packing.json'));
    const jsonl = fixture.examples
      .map((e) => JSON.stringify({ input_ids: e.inputs, target_ids: e.targets }))
      .join('\n');
    const batcher = new Batcher(idJsonlExamples(jsonl), {
      batchSize: 2,
      mode: 'pack',
      inputLength: 64,
      targetLength: 16,
    });
    const first = (await batcher.next())!;
    expect(await batcher.next()).toBeUndefined();
    const { metrics } = first;
    const batch = first.batch as IdBatch;
    expect(batch.input_ids).toEqual(fixture.rows.map((r) => r['encoder_input_tokens']));
    expect(batch.encoder_segment_ids).toEqual(fixture.rows.map((r) => r['encoder_segment_ids']));
    expect(batch.encoder_positions).toEqual(fixture.rows.map((r) => r['encoder_positions']));
    expect(batch.decoder_input_ids).toEqual(fixture.rows.map((r) => r['decoder_input_tokens']));
    expect(batch.decoder_segment_ids).toEqual(fixture.rows.map((r) => r['decoder_segment_ids']));
    expect(batch.decoder_positions).toEqual(fixture.rows.map((r) => r['decoder_positions']));
    expect(batch.labels).toEqual(
      fixture.rows.map((r) =>
        r['decoder_target_tokens']!.map((id, i) => (r['decoder_loss_weights']![i] ? id : -100)),
      ),
    );
    expect(batch.attention_mask).toEqual(
      fixture.rows.map((r) => r['encoder_segment_ids']!.map((s) => (s ? 1 : 0))),
    );
    // 24 loss tokens (num_loss_tokens_all_rows); encoder 56 + 15 real tokens of 128 slots.
    expect(metrics).toEqual({
      examples: 5,
      inputTokens: 71,
      targetTokens: 24,
      nonPadTokens: 95,
      totalTokens: 160,
      paddingFraction: 1 - 95 / 160,
    });
  });

  it.skipIf(!trainingDir || !modelDir)(
    'texts through @flan-ts/tokenizer give the fixture ids (eos appended)',
    async () => {
      const fixture = await readJson<PackingFixture>(join(trainingDir!, 'packing.json'));
      const tokenizer = await loadTokenizer(modelDir!);
      const jsonl = fixture.examples
        .map((e) => JSON.stringify({ inputs: e.input, targets: e.target }))
        .join('\n');
      const source = textJsonlExamples(jsonl, tokenizer);
      for (const e of fixture.examples) {
        const example = (await source.next())!;
        expect(example.inputs).toEqual(e.inputs);
        expect(example.targets).toEqual(e.targets);
      }
      expect(await source.next()).toBeUndefined();
    },
  );
});

describe('padding', () => {
  it.skipIf(!trainingDir)('labels, masks and decoder inputs as batches.json (HF _shift_right)', async () => {
    const { batches } = await readJson<BatchesFixture>(join(trainingDir!, 'batches.json'));
    for (const expected of batches) {
      const examples = expected.input_ids.map((ids, r) => ({
        inputs: ids.filter((_, i) => expected.attention_mask[r]![i] === 1),
        targets: expected.labels[r]!.filter((id) => id !== -100),
      }));
      const batch = padBatch(examples, { inputLength: 512, targetLength: 128 });
      const { input_ids, attention_mask, decoder_input_ids, labels } = expected;
      expect(batch).toEqual({ input_ids, attention_mask, decoder_input_ids, labels });
      labels.forEach((row, r) => expect(shiftRight(row)).toEqual(decoder_input_ids[r]));
    }
  });

  it('shiftRight feeds the last target at the first padding position, as HF does', () => {
    expect(shiftRight([5, 6, 1, -100, -100])).toEqual([0, 5, 6, 1, 0]);
  });

  it('length buckets: each batch holds neighbouring lengths; padding falls from 44% to 8%', async () => {
    // 64 examples with input lengths 1..32 (twice each) in a scrambled order, targets of length 1.
    const lengths = Array.from({ length: 64 }, (_, i) => ((i * 23) % 32) + 1);
    const lines = lengths
      .map((n) => JSON.stringify({ input_ids: Array(n).fill(7), target_ids: [1] }))
      .join('\n');
    const options: BatcherOptions = { batchSize: 8, seed: 3, windowBatches: 8 };
    const batches = await drain(new Batcher(idJsonlExamples(lines), options), 100);
    expect(batches).toHaveLength(8);
    const inputSpans = batches.map(({ batch }) => {
      const real = batch.attention_mask.map((m) => m.reduce((a, b) => a + b, 0));
      return Math.max(...real) - Math.min(...real);
    });
    // Sorted window cut in 8s: lengths k..k+3 twice each, so every batch spans exactly 3.
    expect(inputSpans).toEqual(Array(8).fill(3));
    const total = (key: 'nonPadTokens' | 'totalTokens') => batches.reduce((s, b) => s + b.metrics[key], 0);
    // Input slots 8·(k+3) per batch for k = 1, 5, ..., 29 (Σk = 120), plus 64 target slots, all real.
    expect(total('totalTokens')).toBe(8 * (120 + 8 * 3) + 64);
    expect(total('nonPadTokens')).toBe(lengths.reduce((a, b) => a + b, 0) + 64);
    expect(1 - total('nonPadTokens') / total('totalTokens')).toBeCloseTo(1 - 1120 / 1216, 12);
    // Without buckets (window of one batch): the same data wastes about half the compute.
    const plain = await drain(new Batcher(idJsonlExamples(lines), { ...options, windowBatches: 1 }), 100);
    const plainTotal = plain.reduce((s, b) => s + b.metrics.totalTokens, 0);
    expect(plainTotal).toBe(2016);
    expect(plain.map((b) => b.metrics.paddingFraction).every((f) => f > 0.25)).toBe(true);
    // Seeded: the batch order depends on the seed, the contents do not.
    const other = await drain(new Batcher(idJsonlExamples(lines), { ...options, seed: 4 }), 100);
    const key = (b: DataBatch) =>
      JSON.stringify(b.batch.attention_mask.map((m) => m.reduce((a, c) => a + c, 0)).sort());
    expect(other.map(key)).not.toEqual(batches.map(key));
    expect(other.map(key).sort()).toEqual(batches.map(key).sort());
  });

  it('drops a short last batch only when asked', async () => {
    const lines = Array.from({ length: 10 }, (_, i) =>
      JSON.stringify({ input_ids: [i + 2], target_ids: [1] }),
    ).join('\n');
    const kept = await drain(new Batcher(idJsonlExamples(lines), { batchSize: 4, windowBatches: 2 }), 10);
    expect(kept.map((b) => b.metrics.examples).sort()).toEqual([2, 4, 4]);
    expect(kept.reduce((s, b) => s + b.metrics.examples, 0)).toBe(10);
    const dropped = await drain(
      new Batcher(idJsonlExamples(lines), { batchSize: 4, windowBatches: 2, dropRemainder: true }),
      10,
    );
    expect(dropped.map((b) => b.metrics.examples)).toEqual([4, 4]);
  });
});

describe('truncation', () => {
  it('defaults 512/128; text examples keep eos last, id examples are cut as given', async () => {
    const long = JSON.stringify({ inputs: 'i'.repeat(600), targets: 't'.repeat(200) });
    const [text] = await drain(new Batcher(textJsonlExamples(long, charTokenizer), { batchSize: 1 }), 1);
    expect(text!.batch.input_ids[0]).toHaveLength(512);
    expect(text!.batch.input_ids[0]!.at(-1)).toBe(1);
    expect(text!.batch.labels[0]).toHaveLength(128);
    expect(text!.batch.labels[0]!.at(-1)).toBe(1);
    expect(
      trimExample({ inputs: [5, 6, 7, 1], targets: [8, 1] }, { inputLength: 3, targetLength: 1 }),
    ).toEqual({
      inputs: [5, 6, 7],
      targets: [8],
    });
    expect(
      trimExample({ inputs: [5, 6, 7, 1], targets: [8, 1], eos: 1 }, { inputLength: 3, targetLength: 1 }),
    ).toEqual({ inputs: [5, 6, 1], targets: [1], eos: 1 });
  });

  it('id examples get no eos; text examples get exactly one', async () => {
    const ids = idJsonlExamples('{"input_ids": [5, 6], "target_ids": [7]}');
    expect(await ids.next()).toEqual({ inputs: [5, 6], targets: [7] });
    const text = textJsonlExamples('{"inputs": "ab", "targets": "c"}', charTokenizer);
    expect(await text.next()).toEqual({ inputs: [99, 100, 1], targets: [101, 1], eos: 1 });
    // A tokenizer that appends eos itself (as @flan-ts/tokenizer) is not doubled.
    const withEos: ExampleTokenizer = { encode: (t) => ({ ids: [...Array.from(t, () => 9), 1] }), eosId: 1 };
    const doubled = textJsonlExamples('{"inputs": "ab", "targets": "c"}', withEos);
    expect(await doubled.next()).toEqual({ inputs: [9, 9, 1], targets: [9, 1], eos: 1 });
  });
});

/** Draw 2N straight; draw N, save state (through JSON), restore, draw N more: the same batches. */
async function expectResumeExact(
  makeSource: (state?: SourceState) => ExampleSource | Promise<ExampleSource>,
  options: BatcherOptions,
  n: number,
) {
  const straight = await drain(new Batcher(await makeSource(), options), 2 * n);
  expect(straight).toHaveLength(2 * n);
  const first = new Batcher(await makeSource(), options);
  const head = await drain(first, n);
  const saved = JSON.parse(JSON.stringify(first.state()));
  await first.close();
  const resumed = new Batcher(await makeSource(saved.source), { ...options, state: saved });
  const tail = await drain(resumed, n);
  expect([...head, ...tail]).toEqual(straight);
  return saved;
}

describe('resume neither replays nor skips', () => {
  const text = textLines(37);
  for (const mode of ['pad', 'pack'] as const) {
    const options: BatcherOptions = {
      batchSize: 3,
      mode,
      seed: 7,
      windowBatches: 2,
      inputLength: 24,
      targetLength: 8,
    };

    it(`${mode}: text JSONL over epochs`, async () => {
      const saved = await expectResumeExact(
        (state) =>
          textJsonlExamples(() => text, charTokenizer, { epochs: Infinity, ...(state ? { state } : {}) }),
        options,
        11,
      );
      // The save point is mid-stream: buffered examples travel in the state.
      expect(saved.queue.length + saved.open.length).toBeGreaterThan(0);
    });

    it(`${mode}: id JSONL`, async () => {
      const ids = Array.from({ length: 40 }, (_, i) =>
        JSON.stringify({ input_ids: Array(1 + (i % 9)).fill(i + 2), target_ids: Array(1 + (i % 4)).fill(3) }),
      ).join('\n');
      await expectResumeExact(
        (state) => idJsonlExamples(() => ids, { epochs: 3, ...(state ? { state } : {}) }),
        options,
        6,
      );
    });

    it(`${mode}: a MixtureSampler`, async () => {
      const records = (p: string, n: number) =>
        Array.from({ length: n }, (_, i) => ({
          q: `${p}${i}${'?'.repeat(i % 7)}`,
          a: `${p}${'!'.repeat(i % 3)}`,
        }));
      const registry = new Registry()
        .addTask({
          name: 'a',
          source: arraySource(records('a', 13)),
          templates: [{ input: 'Q: {q}', target: '{a}' }],
        })
        .addTask({
          name: 'b',
          source: arraySource(records('b', 5)),
          templates: [{ input: '{q}', target: '{a}' }],
        });
      const mixture = await resolveMixture(registry, { name: 'm', tasks: ['a', 'b'] });
      await expectResumeExact(
        (state) =>
          mixtureExamples(
            new MixtureSampler(mixture, {
              seed: 5,
              shuffleBuffer: 4,
              ...(state && state.kind === 'mixture' ? { state: state.sampler as never } : {}),
            }),
            charTokenizer,
          ),
        options,
        9,
      );
    });
  }

  it('a source resumed at its saved line continues with the next example', async () => {
    const source = textJsonlExamples(() => text, charTokenizer, { epochs: 2 });
    const all: Example[] = [];
    for (let e = await source.next(); e; e = await source.next()) all.push(e);
    expect(all).toHaveLength(74);
    const head = textJsonlExamples(() => text, charTokenizer, { epochs: 2 });
    for (let i = 0; i < 40; i++) await head.next();
    const state = JSON.parse(JSON.stringify(head.state()));
    expect(state).toEqual({ kind: 'jsonl', source: '<jsonl>', epoch: 1, line: 3 });
    const rest = textJsonlExamples(() => text, charTokenizer, { epochs: 2, state });
    const tail: Example[] = [];
    for (let e = await rest.next(); e; e = await rest.next()) tail.push(e);
    expect(tail).toEqual(all.slice(40));
  });

  it('refuses a batcher state over a source at another position', async () => {
    const first = new Batcher(textJsonlExamples(text, charTokenizer), { batchSize: 2 });
    await first.next();
    const state = first.state();
    expect(() => new Batcher(textJsonlExamples(text, charTokenizer), { batchSize: 2, state })).toThrow(
      /not at the saved position/,
    );
  });
});

describe('bad lines name the source and line', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['not JSON', '{"inputs": "a", "targets": "b"}\n{"inputs": "a",', /^f\.jsonl:2: not valid JSON/],
    ['not an object', '[1, 2]', /^f\.jsonl:1: expected a JSON object/],
    ['missing field', '{"inputs": "a"}', /^f\.jsonl:1: missing field "targets"/],
    [
      'wrong type',
      '\n\n{"inputs": "a", "targets": 3}',
      /^f\.jsonl:3: field "targets" must be a string, got number/,
    ],
  ];
  for (const [what, jsonl, message] of cases) {
    it(`text: ${what}`, async () => {
      const source = textJsonlExamples(jsonl, charTokenizer, { name: 'f.jsonl' });
      const error = await (async () => {
        for (;;) if (!(await source.next())) return undefined;
      })().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataError);
      expect((error as Error).message).toMatch(message);
    });
  }

  it('ids: wrong types and out-of-vocabulary ids', async () => {
    const bad = async (line: string, vocabSize?: number) =>
      idJsonlExamples(line, { name: 'ids.jsonl', ...(vocabSize ? { vocabSize } : {}) }).next();
    await expect(bad('{"input_ids": [1, 2.5], "target_ids": [1]}')).rejects.toThrow(
      /^ids\.jsonl:1: input_ids\[1\] must be a non-negative integer, got 2\.5/,
    );
    await expect(bad('{"input_ids": "1 2", "target_ids": [1]}')).rejects.toThrow(
      /must be an array of ids, got string/,
    );
    await expect(bad('{"input_ids": [1]}')).rejects.toThrow(/missing field "target_ids"/);
    await expect(bad('{"input_ids": [1, 40000], "target_ids": [1]}', 32128)).rejects.toThrow(
      /input_ids\[1\] = 40000 is outside the vocabulary \(size 32128\)/,
    );
    await expect(bad('{"input_ids": [], "target_ids": [1]}')).rejects.toThrow(/must not be empty/);
  });

  it('Node files: the error names the path and line; a missing file names the path', async () => {
    const path = join(tmp, 'bad.jsonl');
    writeFileSync(path, '{"input_ids": [3], "target_ids": [1]}\n{"input_ids": [3], "target_ids": [-1]}\n');
    const source = idJsonlFile(path);
    await source.next();
    await expect(source.next()).rejects.toThrow(`${path}:2: target_ids[0] must be a non-negative integer`);
    await expect(textJsonlFile(join(tmp, 'missing.jsonl'), charTokenizer).next()).rejects.toThrow(
      /missing\.jsonl: cannot read/,
    );
  });
});

describe('strict UTF-8', () => {
  const encoder = new TextEncoder();
  const bytesOf = (...parts: Array<string | number[]>) =>
    new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...encoder.encode(p)] : p)));

  it('invalid bytes are an error naming the line, never replaced', async () => {
    const bytes = bytesOf(
      '{"inputs": "a", "targets": "b"}\n{"inputs": "ok", "targets": "b"}\n{"inputs": "',
      [0xc3, 0x28],
      '", "targets": "b"}\n',
    );
    const source = textJsonlExamples(bytes, charTokenizer, { name: 'u.jsonl' });
    await source.next();
    await source.next();
    await expect(source.next()).rejects.toThrow(/^u\.jsonl:3: invalid UTF-8$/);
    // A lone surrogate in an already decoded string is refused too.
    await expect(
      textJsonlExamples('{"inputs": "\uD800", "targets": "b"}', charTokenizer).next(),
    ).rejects.toThrow(/:1: text has an unpaired surrogate/);
  });

  it('multi-byte characters split across chunks decode exactly; a BOM is removed', async () => {
    const bytes = bytesOf([0xef, 0xbb, 0xbf], 'é€😀\nline two\r\nend');
    const chunks = Array.from(bytes, (b) => new Uint8Array([b])); // one byte per chunk
    const lines = [];
    for await (const line of readLines(chunks, 'c')) lines.push(line);
    expect(lines).toEqual([
      { text: 'é€😀', line: 1 },
      { text: 'line two', line: 2 },
      { text: 'end', line: 3 },
    ]);
  });

  it('Node files: invalid UTF-8 names the file and line', async () => {
    const path = join(tmp, 'latin1.jsonl');
    writeFileSync(
      path,
      Buffer.from(
        bytesOf('{"inputs": "a", "targets": "b"}\n{"inputs": "caf', [0xe9], '", "targets": "b"}\n'),
      ),
    );
    const source = textJsonlFile(path, charTokenizer);
    await source.next();
    await expect(source.next()).rejects.toThrow(`${path}:2: invalid UTF-8`);
  });
});

describe('skipInvalid', () => {
  it('skips bad lines (bad JSON, wrong types, invalid UTF-8), reports each, keeps the good ones', async () => {
    const encoder = new TextEncoder();
    const bytes = new Uint8Array([
      ...encoder.encode('{"inputs": "a", "targets": "b"}\n{"inputs": 1, "targets": "b"}\n{"inputs": "'),
      0xff,
      ...encoder.encode('", "targets": "b"}\nnot json\n{"inputs": "c", "targets": "d"}\n'),
    ]);
    const errors: string[] = [];
    const source = textJsonlExamples(bytes, charTokenizer, {
      name: 's.jsonl',
      skipInvalid: true,
      onInvalid: (e) => errors.push(e.message),
    });
    const kept: Example[] = [];
    for (let e = await source.next(); e; e = await source.next()) kept.push(e);
    expect(kept.map((e) => e.inputs)).toEqual([
      [99, 1],
      [101, 1],
    ]);
    expect(errors).toEqual([
      's.jsonl:2: field "inputs" must be a string, got number',
      's.jsonl:3: invalid UTF-8',
      expect.stringMatching(/^s\.jsonl:4: not valid JSON/),
    ]);
  });
});

describe('shuffleExamples', () => {
  const ids = Array.from({ length: 30 }, (_, i) =>
    JSON.stringify({ input_ids: [i + 2], target_ids: [1] }),
  ).join('\n');
  const make = (state?: SourceState) =>
    shuffleExamples(
      idJsonlExamples(() => ids, {
        epochs: 2,
        ...(state?.kind === 'shuffle' ? { state: state.inner } : {}),
      }),
      { bufferSize: 8, seed: 9, ...(state ? { state } : {}) },
    );
  it('a seeded permutation of each pass; resumes exactly, in a batcher too', async () => {
    const all: number[] = [];
    const source = make();
    for (let e = await source.next(); e; e = await source.next()) all.push(e.inputs[0]!);
    expect(all).toHaveLength(60);
    expect([...all].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => (i >> 1) + 2));
    expect(all.slice(0, 30)).not.toEqual(Array.from({ length: 30 }, (_, i) => i + 2));
    for (const mode of ['pad', 'pack'] as const)
      await expectResumeExact(make, { batchSize: 2, mode, inputLength: 3, targetLength: 2 }, 7);
  });
});
