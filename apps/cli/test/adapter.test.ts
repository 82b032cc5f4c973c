import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedFile } from '@flan-ts/test-support';
import { describe, expect, it } from 'vitest';
import { runFlan } from './run-flan';

const training = sharedFile('fixtures/training/flan-t5-tiny');
const modelDir = sharedFile('fixtures/models/flan-t5-tiny');

describe.skipIf(!training || !modelDir)('--adapter (a PEFT LoRA adapter on top of the model)', () => {
  const batch = () => JSON.parse(readFileSync(join(training!, 'batches.json'), 'utf8')).batches[0];
  const lines = () => {
    const b = batch();
    return b.input_ids
      .map((row: number[], r: number) =>
        JSON.stringify({
          input_ids: row.filter((_, c) => b.attention_mask[r][c] === 1),
          target_ids: [b.labels[r].filter((t: number) => t !== -100)],
        }),
      )
      .join('\n');
  };

  it('flan score with the adapter gives the summed log-probs of PEFT model + adapter (lora.json loss)', async () => {
    const lora = JSON.parse(readFileSync(join(training!, 'lora.json'), 'utf8'));
    const adapter = join(training!, 'lora_adapter_init');
    const run = (extra: string[]) =>
      runFlan(['score', '--model', modelDir!, '--jsonl', '--backend', 'cpu', ...extra], lines());
    const [withAdapter, without] = await Promise.all([run(['--adapter', adapter]), run([])]);
    expect(withAdapter.stderr).toBe('');
    expect(withAdapter.code).toBe(0);
    const total = (stdout: string) =>
      stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l).sum_logprobs as number[])[0]!)
        .reduce((a, b) => a + b, 0);
    const tokens = 17;
    expect(Math.abs(-total(withAdapter.stdout) / tokens - lora.loss)).toBeLessThan(1e-4);
    expect(Math.abs(-total(without.stdout) / tokens - lora.loss)).toBeGreaterThan(1e-3);
  });

  it('a missing adapter directory is a one-line error naming the flag and file', async () => {
    const { code, stderr } = await runFlan(
      ['generate', '--model', modelDir!, '--adapter', '/nonexistent/adapter', '--backend', 'cpu'],
      'hello',
    );
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/^flan: --adapter: \/nonexistent\/adapter\/adapter_config.json: cannot read/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});
