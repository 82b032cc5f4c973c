import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { sharedFile } from '@flan-ts/test-support';
import { describe, expect, it } from 'vitest';
import { runFlan } from './run-flan';

const flan = (args: string[], input: string, env?: NodeJS.ProcessEnv) => runFlan(args, input, env);

interface RankReference {
  prompt: string;
  candidates: string[];
  input_ids: number[];
  candidate_ids: number[][];
  token_logprobs: number[][];
  sum_logprob: number[];
  argmax_sum_logprob: number;
}

function fixture(name: string): { dir: string; ref: RankReference } | undefined {
  const path = sharedFile(`fixtures/models/${name}/reference.json`);
  if (path === undefined) return undefined;
  const json = JSON.parse(readFileSync(path, 'utf8')) as { rank_classification: RankReference };
  return { dir: dirname(path), ref: json.rank_classification };
}

function expectClose(actual: unknown, expected: number[], tolerance: number): void {
  expect(Array.isArray(actual)).toBe(true);
  const values = actual as number[];
  expect(values).toHaveLength(expected.length);
  values.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThan(tolerance));
}

for (const [name, backend] of [
  ['t5-tiny', 'cpu'],
  ['flan-t5-tiny', 'wasm'],
] as const) {
  const f = fixture(name);
  describe.skipIf(!f)(`flan score on ${name} (${backend})`, () => {
    it('reproduces rank_classification from input_ids / target_ids within 1e-4, keeping the fields', async () => {
      const { dir, ref } = f!;
      const line = JSON.stringify({ id: 'q1', input_ids: ref.input_ids, target_ids: ref.candidate_ids });
      const { code, stdout, stderr } = await flan(
        ['score', '--model', dir, '--jsonl', '--backend', backend, '--batch-size', '3'],
        line + '\n' + line,
      );
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const rows = stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(rows).toHaveLength(2);
      for (const out of rows) {
        expect(out.id).toBe('q1');
        expect(out.target_ids).toEqual(ref.candidate_ids);
        expectClose(out.sum_logprobs, ref.sum_logprob, 1e-4);
        (out.token_logprobs as number[][]).forEach((lp, i) => expectClose(lp, ref.token_logprobs[i]!, 1e-4));
        const sums = out.sum_logprobs as number[];
        expect(sums.indexOf(Math.max(...sums))).toBe(ref.argmax_sum_logprob);
      }
    });
  });
}

const flanTiny = fixture('flan-t5-tiny');
describe.skipIf(!flanTiny)('flan score input forms and errors', () => {
  it('encodes "inputs" and "targets" texts with the tokenizer, eos appended', async () => {
    const { dir, ref } = flanTiny!;
    const { code, stdout } = await flan(
      ['score', '--model', dir, '--jsonl'],
      JSON.stringify({ inputs: ref.prompt, targets: ref.candidates }),
    );
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { sum_logprobs: number[] };
    expectClose(out.sum_logprobs, ref.sum_logprob, 1e-4);
  });

  it('names the line and field of a bad record', async () => {
    const { dir, ref } = flanTiny!;
    const good = JSON.stringify({ input_ids: ref.input_ids, target_ids: ref.candidate_ids });
    const input = [
      good,
      JSON.stringify({ input_ids: ref.input_ids, target_ids: [[1], [3, -1]] }),
      JSON.stringify({ input_ids: ref.input_ids }),
    ].join('\n');
    const failed = await flan(['score', '--model', dir, '--jsonl'], input);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/<stdin>:2: field "target_ids\[1\]"\[1\] = -1 is not a token id/);
    const skipped = await flan(['score', '--model', dir, '--jsonl', '--skip-invalid'], input);
    expect(skipped.code).toBe(0);
    expect(skipped.stdout.trim().split('\n')).toHaveLength(1);
    expect(skipped.stderr).toMatch(
      /<stdin>:3: give exactly one of "targets" \(texts\) and "target_ids" \(id lists\)/,
    );
  });
});

// WebGPU without a GPU: Dawn on Chromium's SwiftShader, with Chromium's Vulkan loader.
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
describe.skipIf(!flanTiny || !existsSync(SWIFTSHADER))('flan score on webgpu (SwiftShader)', () => {
  it('reproduces rank_classification within 1e-4', async () => {
    const { dir, ref } = flanTiny!;
    const env = { ...process.env, VK_ICD_FILENAMES: SWIFTSHADER, LD_LIBRARY_PATH: '/usr/lib/chromium' };
    const line = JSON.stringify({ input_ids: ref.input_ids, target_ids: ref.candidate_ids });
    const { code, stdout, stderr } = await flan(['score', '--model', dir, '--backend', 'webgpu'], line, env);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expectClose((JSON.parse(stdout) as { sum_logprobs: number[] }).sum_logprobs, ref.sum_logprob, 1e-4);
  });
});

interface CausalRank {
  rank_classification: {
    prompt: number[];
    candidates: number[][];
    token_logprobs: number[][];
    sum_logprob: number[];
  };
}

for (const [name, backend] of [
  ['llama-tiny', 'wasm'],
  ['qwen3-tiny', 'cpu'],
] as const) {
  const path = sharedFile(`fixtures/models/${name}/reference.json`);
  describe.skipIf(!path)(`flan score on the decoder-only ${name} (${backend})`, () => {
    it('continuation log-probs of the candidates given the prompt within 1e-4', async () => {
      const rc = (JSON.parse(readFileSync(path!, 'utf8')) as CausalRank).rank_classification;
      const line = JSON.stringify({ id: 'q', input_ids: rc.prompt, target_ids: rc.candidates });
      const { code, stdout, stderr } = await flan(
        ['score', '--model', dirname(path!), '--jsonl', '--backend', backend],
        line,
      );
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const out = JSON.parse(stdout) as { id: string; sum_logprobs: number[]; token_logprobs: number[][] };
      expect(out.id).toBe('q');
      expectClose(out.sum_logprobs, rc.sum_logprob, 1e-4);
      out.token_logprobs.forEach((t, j) => expectClose(t, rc.token_logprobs[j]!, 1e-4));
    });
  });
}

const llamaRef = sharedFile('fixtures/models/llama-tiny/reference.json');
describe.skipIf(!llamaRef)('flan score --adapter on llama-tiny (PEFT LoRA on q_proj/v_proj)', () => {
  it("row 0's continuation log-probs are minus the reference per-token losses, with and without the adapter", async () => {
    interface Ref {
      inputs: { sequences: number[][] };
      per_token_loss: { data: number[][] };
      lora: { per_token_loss: number[][] };
    }
    const ref = JSON.parse(readFileSync(llamaRef!, 'utf8')) as Ref;
    const dir = dirname(llamaRef!);
    // Labels mask the first 3 tokens: token t+1 is scored from position t, so prompt = 3 tokens.
    const seq = ref.inputs.sequences[0]!;
    const line = JSON.stringify({ input_ids: seq.slice(0, 3), target_ids: [seq.slice(3)] });
    for (const [extra, losses] of [
      [[], ref.per_token_loss.data[0]!],
      [['--adapter', `${dir}/lora_adapter`], ref.lora.per_token_loss[0]!],
    ] as const) {
      const { code, stdout, stderr } = await flan(['score', '--model', dir, ...extra], line);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const expected = losses.slice(2, 2 + seq.length - 3).map((l) => -l);
      expectClose((JSON.parse(stdout) as { token_logprobs: number[][] }).token_logprobs[0], expected, 1e-4);
    }
  });
});
