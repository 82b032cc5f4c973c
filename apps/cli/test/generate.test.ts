import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expectedCausalTensors, parseCausalConfig, serializeSafetensors } from '@flan-ts/models';
import { sharedFile, uniformFloats } from '@flan-ts/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFlan } from './run-flan';

interface Reference {
  inputs: { prompts: string[]; input_ids: number[][]; attention_mask: number[][] };
  greedy_generation: { max_new_tokens: number; new_tokens: number[][]; new_tokens_decoded: string[] };
}

function fixture(name: string): { dir: string; ref: Reference } | undefined {
  const path = sharedFile(`fixtures/models/${name}/reference.json`);
  if (path === undefined) return undefined;
  return { dir: dirname(path), ref: JSON.parse(readFileSync(path, 'utf8')) as Reference };
}

const flan = (args: string[], input: string) => runFlan(args, input);

const jsonLines = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const unpadded = (ref: Reference) =>
  ref.inputs.input_ids.map((row, r) => row.filter((_, c) => ref.inputs.attention_mask[r]![c] === 1));

for (const [name, backend] of [
  ['t5-tiny', 'wasm'],
  ['flan-t5-tiny', 'cpu'],
] as const) {
  const f = fixture(name);
  describe.skipIf(!f)(`flan generate on ${name} (${backend})`, () => {
    it('reproduces the reference greedy tokens and text from input_ids, batched across lines, keeping the fields', async () => {
      const { dir, ref } = f!;
      const input = unpadded(ref)
        .map((ids, i) => JSON.stringify({ id: i, input_ids: ids }))
        .join('\n');
      const args = ['generate', '--model', dir, '--jsonl', '--batch-size', '2', '--backend', backend];
      const { code, stdout, stderr } = await flan(
        [...args, '--max-new-tokens', String(ref.greedy_generation.max_new_tokens)],
        input,
      );
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const out = jsonLines(stdout);
      expect(out.map((o) => o.id)).toEqual([0, 1, 2]);
      expect(out.map((o) => o.new_tokens)).toEqual(ref.greedy_generation.new_tokens);
      // The reference decodes with special tokens kept; the CLI skips them (row 2's eos).
      expect(out.map((o) => o.text)).toEqual(
        ref.greedy_generation.new_tokens_decoded.map((t) => t.replace(/<\/s>$/, '').trim()),
      );
    });
  });
}

const flanTiny = fixture('flan-t5-tiny');
describe.skipIf(!flanTiny)('flan generate input forms and errors', () => {
  it('encodes text prompts (plain lines and JSONL "inputs") with the checkpoint tokenizer', async () => {
    const { dir, ref } = flanTiny!;
    const plain = await flan(
      ['generate', '--model', dir, '--max-new-tokens', '16'],
      ref.inputs.prompts[0] + '\n',
    );
    expect(plain.code).toBe(0);
    expect(jsonLines(plain.stdout)).toEqual([
      {
        inputs: ref.inputs.prompts[0],
        new_tokens: ref.greedy_generation.new_tokens[0],
        text: ref.greedy_generation.new_tokens_decoded[0],
      },
    ]);
    const input = ref.inputs.prompts.map((p) => JSON.stringify({ inputs: p })).join('\n');
    const jsonl = await flan(['generate', '--model', dir, '--jsonl', '--max-new-tokens', '16'], input);
    expect(jsonLines(jsonl.stdout).map((o) => o.new_tokens)).toEqual(ref.greedy_generation.new_tokens);
  });

  it('runs beam search and seeded sampling, within the tokenizer vocabulary', async () => {
    const { dir, ref } = flanTiny!;
    const input = JSON.stringify({ input_ids: unpadded(ref)[1] });
    const beams = await flan(
      [
        'generate',
        '--model',
        dir,
        '--jsonl',
        '--num-beams',
        '3',
        '--num-return-sequences',
        '2',
        '--max-new-tokens',
        '5',
      ],
      input,
    );
    expect(beams.code).toBe(0);
    const [b] = jsonLines(beams.stdout);
    expect(b!.new_tokens).toHaveLength(2);
    expect(b!.text).toHaveLength(2);
    expect((b!.sequence_score as number[])[0]).toBeGreaterThanOrEqual((b!.sequence_score as number[])[1]!);
    const sample = [
      'generate',
      '--model',
      dir,
      '--jsonl',
      '--do-sample',
      '--top-k',
      '0',
      '--temperature',
      '2',
      '--seed',
      '3',
      '--max-new-tokens',
      '12',
    ];
    const [s1, s2] = await Promise.all([flan(sample, input), flan(sample, input)]);
    expect(s1.code).toBe(0);
    expect(s1.stdout).toBe(s2.stdout);
    const tokens = jsonLines(s1.stdout)[0]!.new_tokens as number[];
    expect(Math.max(...tokens)).toBeLessThan(32100);
  });

  it('passes --no-repeat-ngram-size through to generation (commander reads it as a negation)', async () => {
    const t5Tiny = fixture('t5-tiny');
    if (t5Tiny === undefined) return;
    // Greedy decoding of t5-tiny repeats tokens (reference.json), so a 1-gram block must change it.
    const input = unpadded(t5Tiny.ref)
      .map((ids) => JSON.stringify({ input_ids: ids }))
      .join('\n');
    const args = ['generate', '--model', t5Tiny.dir, '--jsonl', '--max-new-tokens', '16'];
    const plain = await flan(args, input);
    expect(jsonLines(plain.stdout).map((o) => o.new_tokens)).toEqual(t5Tiny.ref.greedy_generation.new_tokens);
    const blocked = await flan([...args, '--no-repeat-ngram-size', '1'], input);
    expect(blocked.code).toBe(0);
    for (const { new_tokens } of jsonLines(blocked.stdout)) {
      const tokens = new_tokens as number[];
      expect(tokens).toHaveLength(16);
      expect(new Set(tokens).size).toBe(tokens.length);
    }
  });

  it('names the line of a bad record, or skips it with --skip-invalid', async () => {
    const { dir } = flanTiny!;
    const input = [
      '{"input_ids": [100, 1]}',
      '{"input_ids": [5, 40000]}',
      'not json',
      '{"text": "x"}',
      '{"input_ids": [200, 1]}',
    ].join('\n');
    const failed = await flan(['generate', '--model', dir, '--jsonl', '--max-new-tokens', '2'], input);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      /<stdin>:2: field "input_ids"\[1\] = 40000 is not a token id in \[0, 32128\)/,
    );
    const skipped = await flan(
      ['generate', '--model', dir, '--jsonl', '--max-new-tokens', '2', '--skip-invalid'],
      input,
    );
    expect(skipped.code).toBe(0);
    expect(jsonLines(skipped.stdout).map((o) => o.input_ids)).toEqual([
      [100, 1],
      [200, 1],
    ]);
    expect(skipped.stderr).toMatch(/<stdin>:3: invalid JSON/);
    expect(skipped.stderr).toMatch(
      /<stdin>:4: give exactly one of "inputs" \(text\) and "input_ids" \(ids\)/,
    );
    expect(skipped.stderr).toMatch(/skipped 3 invalid line\(s\) of 5/);
  });

  it('rejects bad flags before reading input', async () => {
    const { dir } = flanTiny!;
    const beams = await flan(
      ['generate', '--model', dir, '--num-beams', '2', '--num-return-sequences', '3'],
      'hello\n',
    );
    expect(beams.code).toBe(1);
    expect(beams.stderr).toMatch(/numReturnSequences: \(3\) cannot exceed numBeams \(2\)/);
    const backend = await flan(['generate', '--model', dir, '--backend', 'tpu'], 'hello\n');
    expect(backend.code).toBe(1);
    expect(backend.stderr).toMatch(/--backend must be one of wasm, cpu, webgpu/);
    const missing = await flan(['generate', '--model', join(dir, 'nope')], 'hello\n');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope/);
  });
});

describe.skipIf(!flanTiny)('flan generate from a checkpoint URL', () => {
  it('loads weights and tokenizer over HTTP and reproduces the reference', async () => {
    const { dir, ref } = flanTiny!;
    // A loopback server for the fixture directory: no test touches the internet.
    const server = createServer((request, response) => {
      const path = join(
        dir,
        decodeURIComponent(new URL(request.url!, 'http://x').pathname).replace(/^\/model\//, ''),
      );
      if (!request.url!.startsWith('/model/') || !existsSync(path)) return void response.writeHead(404).end();
      response.writeHead(200, { 'content-length': readFileSync(path).byteLength }).end(readFileSync(path));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/model/`;
      const { code, stdout, stderr } = await flan(
        ['generate', '--model', url, '--max-new-tokens', '16'],
        ref.inputs.prompts[0] + '\n',
      );
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(jsonLines(stdout)[0]!.new_tokens).toEqual(ref.greedy_generation.new_tokens[0]);
    } finally {
      server.close();
    }
  });
});

interface CausalGreedy {
  greedy_generation: {
    prompts: number[][];
    max_new_tokens: number;
    new_tokens_one_by_one: number[][];
  };
}

for (const [name, backend] of [
  ['llama-tiny', 'wasm'],
  ['qwen3-tiny', 'cpu'],
] as const) {
  const path = sharedFile(`fixtures/models/${name}/reference.json`);
  describe.skipIf(!path)(`flan generate on the decoder-only ${name} (${backend})`, () => {
    const dir = dirname(path ?? '.');
    const g = () => (JSON.parse(readFileSync(path!, 'utf8')) as CausalGreedy).greedy_generation;

    it('--ignore-eos: the reference greedy tokens from input_ids, batched (left-padded), text null without a tokenizer', async () => {
      const { prompts, max_new_tokens: n, new_tokens_one_by_one: expected } = g();
      const input = prompts.map((ids, i) => JSON.stringify({ id: i, input_ids: ids })).join('\n');
      const args = ['generate', '--model', dir, '--jsonl', '--backend', backend, '--ignore-eos'];
      const { code, stdout, stderr } = await flan([...args, '--max-new-tokens', String(n)], input);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const out = jsonLines(stdout);
      expect(out.map((o) => o.id)).toEqual([0, 1]);
      expect(out.map((o) => o.new_tokens)).toEqual(expected);
      expect(out.map((o) => o.text)).toEqual([null, null]);
    });

    // qwen3-tiny (tied, random weights) greedily emits 2 after the prompt [4, 2] (found by search).
    it.skipIf(name !== 'qwen3-tiny')("stops at the config's eos id (2) unless --ignore-eos", async () => {
      const input = JSON.stringify({ input_ids: [4, 2] });
      const base = ['generate', '--model', dir, '--jsonl', '--backend', backend, '--max-new-tokens', '5'];
      const stopped = await flan(base, input);
      expect(stopped.stderr).toBe('');
      expect(jsonLines(stopped.stdout)[0]!.new_tokens).toEqual([2]);
      const ignored = await flan([...base, '--ignore-eos'], input);
      expect(jsonLines(ignored.stdout)[0]!.new_tokens).toEqual([2, 2, 2, 2, 2]);
    });

    it('a text prompt without a tokenizer is a bad line naming the problem', async () => {
      const { code, stderr } = await flan(
        ['generate', '--model', dir, '--jsonl', '--backend', backend],
        '{"inputs": "hi"}',
      );
      expect(code).toBe(1);
      expect(stderr).toMatch(
        /<stdin>:1: cannot encode "inputs": the checkpoint .* has no tokenizer \(tokenizer\.json\)/,
      );
    });
  });
}

const qwenTokenizer = sharedFile('fixtures/tokenizers/qwen3/tokenizer.json');
describe.skipIf(!qwenTokenizer)(
  'flan generate and score on a decoder-only model with a BPE tokenizer',
  () => {
    // A one-layer random Llama whose vocabulary is the Qwen3 tokenizer's, so text goes in and out.
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'flan-causal-text-'));
      const config = {
        model_type: 'llama',
        vocab_size: 151669,
        hidden_size: 16,
        intermediate_size: 32,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        num_key_value_heads: 1,
        rope_theta: 10000.0,
        rms_norm_eps: 1e-6,
        tie_word_embeddings: true,
        eos_token_id: 151645,
        pad_token_id: 151643,
      };
      const tensors = expectedCausalTensors(parseCausalConfig(config))
        .filter((t) => t.required)
        .map((t, i) => {
          const size = t.shape.reduce((a, b) => a * b, 1);
          const data =
            t.shape.length === 1 ? new Float32Array(size).fill(1) : uniformFloats(size, 50 + i, -0.5, 0.5);
          return { name: t.name, shape: [...t.shape], data };
        });
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
      writeFileSync(join(dir, 'model.safetensors'), serializeSafetensors(tensors));
      for (const f of ['tokenizer.json', 'tokenizer_config.json'])
        copyFileSync(join(dirname(qwenTokenizer!), f), join(dir, f));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('text prompts in, decoded text out, identical to the ids path; --stop cuts the text', async () => {
      const plain = await flan(
        ['generate', '--model', dir, '--max-new-tokens', '6', '--ignore-eos'],
        'Hello world\n',
      );
      expect(plain.stderr).toBe('');
      expect(plain.code).toBe(0);
      const [out] = jsonLines(plain.stdout) as { inputs: string; new_tokens: number[]; text: string }[];
      expect(out!.inputs).toBe('Hello world');
      expect(out!.new_tokens).toHaveLength(6);
      expect(typeof out!.text).toBe('string');
      const ids = await flan(
        ['generate', '--model', dir, '--jsonl', '--max-new-tokens', '6', '--ignore-eos'],
        JSON.stringify({ input_ids: [9707, 1879] }),
      );
      expect((jsonLines(ids.stdout)[0] as { new_tokens: number[] }).new_tokens).toEqual(out!.new_tokens);
      // The first visible character of the text: the row must stop at the token that produced it.
      const stop = out!.text.trim().slice(0, 1);
      expect(stop).not.toBe('');
      const cut = await flan(
        ['generate', '--model', dir, '--max-new-tokens', '6', '--ignore-eos', '--stop', stop],
        'Hello world\n',
      );
      const [c] = jsonLines(cut.stdout) as { new_tokens: number[]; text: string }[];
      expect(c!.text).toContain(stop);
      expect(c!.new_tokens).toEqual(out!.new_tokens.slice(0, c!.new_tokens.length));
      expect(c!.text.length).toBeLessThanOrEqual(out!.text.length);
    });

    it('scores text targets as continuations of the text prompt', async () => {
      const line = JSON.stringify({ inputs: 'The answer is', targets: [' yes', ' no'] });
      const { code, stdout, stderr } = await flan(['score', '--model', dir, '--jsonl'], line);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const out = JSON.parse(stdout) as { sum_logprobs: number[]; token_logprobs: number[][] };
      expect(out.sum_logprobs).toHaveLength(2);
      expect(out.token_logprobs.every((t) => t.length >= 1 && t.every((x) => x < 0))).toBe(true);
    });
  },
);
