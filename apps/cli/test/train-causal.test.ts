/**
 * `flan train` on a decoder-only model: llama-tiny (../shared fixtures) paired with a byte-level BPE
 * tokenizer of 512 ids learned here from the CoT data, with a ChatML chat template. CoT records are
 * rendered as conversations, the loss falls on the assistant's reply only, and the adapter or model
 * it writes is what `flan generate` loads.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedFile, writeLlamaTinyWithBpe } from '@flan-ts/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFlan } from './run-flan';

const llama = sharedFile('fixtures/models/llama-tiny');
const cot = sharedFile('data/flan/cot');
const work = mkdtempSync(join(tmpdir(), 'flan-train-causal-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const modelDir = join(work, 'llama-tiny-bpe');
const mixture = join(work, 'mixture.json');
const evalData = join(work, 'eval.jsonl');

const metrics = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number | string>);

describe.skipIf(!llama || !cot)('flan train (decoder-only: llama-tiny + a byte-level BPE tokenizer)', () => {
  beforeAll(async () => {
    writeLlamaTinyWithBpe(modelDir, llama!, cot!);
    writeFileSync(
      mixture,
      JSON.stringify({
        name: 'cot-small',
        seed: 0,
        rate: { examplesProportional: { maximum: 5000 } },
        formats: { cot: 1 },
        tasks: [
          { name: 'cot_gsm8k', preset: 'flan-cot', data: join(cot!, 'gsm8k.jsonl') },
          { name: 'cot_strategyqa', preset: 'flan-cot', data: join(cot!, 'strategyqa.jsonl') },
        ],
      }),
    );
    const mix = await runFlan(['mix', '--config', mixture, '--n', '16', '--seed', '7', '--out', evalData]);
    expect(mix.code, mix.stderr).toBe(0);
  });

  const base = (out: string, steps: number) => [
    'train',
    '--model',
    modelDir,
    '--mixture',
    mixture,
    '--out',
    out,
    '--steps',
    String(steps),
    '--batch-size',
    '4',
    '--input-length',
    '96',
    '--target-length',
    '48',
    '--optimizer',
    'adamw',
    '--chat-template',
    '--no-progress',
  ];

  it('LoRA on q_proj/v_proj over conversations lowers the held-out loss; flan generate --adapter loads it', async () => {
    const out = join(work, 'lora');
    const run = await runFlan([
      ...base(out, 40),
      '--lora',
      '--lr',
      '5e-2',
      '--eval-data',
      evalData,
      '--eval-every',
      '20',
    ]);
    expect(run.stderr).toMatch(/done at step 40/);
    expect(run.code).toBe(0);
    const evals = metrics(out)
      .filter((m) => m.kind === 'eval')
      .map((m) => m.eval_loss as number);
    expect(evals).toHaveLength(3);
    expect(evals[2]!).toBeLessThan(evals[0]! - 0.05);
    const config = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(config.target_modules).toEqual(['q_proj', 'v_proj']);
    expect(config.task_type).toBe('CAUSAL_LM');
    const gen = await runFlan(
      ['generate', '--model', modelDir, '--adapter', out, '--max-new-tokens', '6'],
      'Q: What is 2 + 3? A:',
    );
    expect(gen.code, gen.stderr).toBe(0);
    expect(JSON.parse(gen.stdout).new_tokens.length).toBeGreaterThan(0);
  }, 300_000);

  it('full finetuning with packing resumes bit-identically; the final model loads in flan generate', async () => {
    const straight = join(work, 'straight');
    const stopped = join(work, 'stopped');
    const args = (out: string, steps: number) => [...base(out, steps), '--pack', '--lr', '1e-2'];
    expect((await runFlan(args(straight, 4))).code).toBe(0);
    expect((await runFlan(args(stopped, 2))).code).toBe(0);
    const resumed = await runFlan([...args(stopped, 4), '--resume']);
    expect(resumed.stderr).toMatch(/resuming .* at step 2/);
    expect(resumed.code).toBe(0);
    expect(
      readFileSync(join(stopped, 'model.safetensors')).equals(
        readFileSync(join(straight, 'model.safetensors')),
      ),
    ).toBe(true);
    expect(metrics(stopped).map((m) => m.loss)).toEqual(metrics(straight).map((m) => m.loss));
    const packed = metrics(straight).filter((m) => m.kind === 'train');
    expect(packed.every((m) => (m.padding_fraction as number) < 0.5)).toBe(true);
    const gen = await runFlan(['generate', '--model', straight, '--max-new-tokens', '4'], 'Q: 1 + 1? A:');
    expect(gen.code, gen.stderr).toBe(0);
  }, 300_000);

  it('flags that do not apply to the architecture fail before the first step, naming them', async () => {
    const out = join(work, 'bad');
    for (const [flag, pattern] of [
      [['--dropout', '0.1'], /--dropout: decoder-only models are trained without dropout/],
      [['--export-hf', join(work, 'hf')], /--export-hf: .*T5 models only/],
    ] as const) {
      const run = await runFlan([...base(out, 1), ...flag]);
      expect(run.code).not.toBe(0);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(pattern);
    }
  }, 120_000);
});
