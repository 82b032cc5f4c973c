import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, sharedFile } from '@flan-ts/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '@flan-ts/models';
import { loadT5 } from '@flan-ts/models/node';
import { runFlan } from './run-flan';

const model = sharedFile('fixtures/models/flan-t5-tiny');
const cot = sharedFile('data/flan/cot');
const work = mkdtempSync(join(tmpdir(), 'flan-train-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A mixture of two CoT tasks of ../shared/data, chain-of-thought format only. */
function writeMixture(): string {
  const path = join(work, 'mixture.json');
  writeFileSync(
    path,
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
  return path;
}

const metrics = (dir: string) =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number | string>);

const small = ['--batch-size', '4', '--input-length', '96', '--target-length', '48'];

describe.skipIf(!model || !cot)('flan train', () => {
  it('finetunes flan-t5-tiny on a CoT mixture: held-out loss falls, metrics, report, a model flan generate loads', async () => {
    const mixture = writeMixture();
    const evalData = join(work, 'eval.jsonl');
    const mix = await runFlan(['mix', '--config', mixture, '--n', '24', '--seed', '7', '--out', evalData]);
    expect(mix.code).toBe(0);
    const out = join(work, 'e2e');
    const run = await runFlan([
      'train',
      '--model',
      model!,
      '--mixture',
      mixture,
      '--out',
      out,
      '--steps',
      '24',
      '--batch-size',
      '8',
      '--input-length',
      '128',
      '--target-length',
      '64',
      '--optimizer',
      'adafactor',
      '--lr',
      '3e-3',
      '--eval-data',
      evalData,
      '--eval-every',
      '12',
      '--export-hf',
      join(out, 'hf'),
    ]);
    expect(run.stderr).toMatch(/done at step 24/);
    expect(run.code).toBe(0);
    const lines = metrics(out);
    const evals = lines.filter((m) => m.kind === 'eval').map((m) => m.eval_loss as number);
    expect(evals).toHaveLength(3);
    expect(evals[2]!).toBeLessThan(evals[0]! - 1);
    const train = lines.filter((m) => m.kind === 'train');
    expect(train.map((m) => m.step)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    for (const m of train) {
      for (const key of [
        'loss',
        'learning_rate',
        'grad_norm',
        'tokens_per_second',
        'padding_fraction',
        'memory_bytes',
      ]) {
        expect(Number.isFinite(m[key]), key).toBe(true);
      }
    }
    expect(train[23]!.examples_seen).toBe(24 * 8);
    const report = readFileSync(join(out, 'report.html'), 'utf8');
    expect(report).toContain('<svg');
    expect(report).toContain('held-out loss');
    // --export-hf: the examples exactly as trained (24 steps × 8), and a script that compiles.
    const exported = readFileSync(join(out, 'hf', 'train.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(exported).toHaveLength(24 * 8);
    const first = JSON.parse(exported[0]!) as Record<string, unknown>;
    expect(Object.keys(first)).toEqual(['inputs', 'targets', 'input_ids', 'target_ids']);
    expect(first.inputs).toMatch(/\w/);
    expect(first.targets).not.toContain('</s>');
    const compile = await new Promise<number | null>((resolve) =>
      spawn('python3', ['-m', 'py_compile', join(out, 'hf', 'train_hf.py')]).on('close', resolve),
    );
    expect(compile).toBe(0);
    const gen = await runFlan(['generate', '--model', out, '--max-new-tokens', '5'], 'Q: What is 2 + 3? A:');
    expect(gen.code).toBe(0);
    expect(JSON.parse(gen.stdout).new_tokens.length).toBeGreaterThan(0);
  });

  // The cpu backend is ~30x slower: a smaller run there.
  for (const [backend, sizes] of [
    ['wasm', small],
    ['cpu', ['--batch-size', '2', '--input-length', '32', '--target-length', '16']],
  ] as const) {
    it(`a resumed run ends bit-identical to one straight run (${backend}, dropout on, packed)`, async () => {
      const mixture = writeMixture();
      const args = (out: string, steps: number) => [
        'train',
        '--model',
        model!,
        '--mixture',
        mixture,
        '--out',
        out,
        '--steps',
        String(steps),
        ...sizes,
        '--pack',
        '--dropout',
        '0.1',
        '--backend',
        backend,
      ];
      const straight = join(work, `straight-${backend}`);
      const stopped = join(work, `stopped-${backend}`);
      const first = await runFlan(args(straight, 3));
      expect(first.code, first.stderr).toBe(0);
      expect((await runFlan(args(stopped, 1))).code).toBe(0);
      const resumed = await runFlan([...args(stopped, 3), '--resume']);
      expect(resumed.stderr).toMatch(/resuming .* at step 1/);
      expect(resumed.code).toBe(0);
      expect(
        readFileSync(join(stopped, 'model.safetensors')).equals(
          readFileSync(join(straight, 'model.safetensors')),
        ),
      ).toBe(true);
      expect(metrics(stopped).map((m) => m.loss)).toEqual(metrics(straight).map((m) => m.loss));
    }, 300_000);
  }

  it('a resume with other settings names them; a second run into the same --out is refused', async () => {
    const mixture = writeMixture();
    const out = join(work, 'settings');
    const base = ['train', '--model', model!, '--mixture', mixture, '--out', out, '--steps', '1', ...small];
    expect((await runFlan(base)).code).toBe(0);
    const again = await runFlan(base);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already holds checkpoints .* pass --resume/);
    const changed = await runFlan([...base, '--resume', '--lr', '0.01', '--steps', '2']);
    expect(changed.code).not.toBe(0);
    expect(changed.stderr).toMatch(/--resume: .*other settings: learningRate: 0\.001 → 0\.01$/m);
    expect(changed.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('SIGINT writes a checkpoint and exits; --resume continues from it', async () => {
    const mixture = writeMixture();
    const out = join(work, 'sigint');
    const child = spawn(process.execPath, [
      join(repoRoot, 'apps/cli/bin/flan.js'),
      'train',
      '--model',
      model!,
      '--mixture',
      mixture,
      '--out',
      out,
      '--steps',
      '10000',
      ...small,
    ]);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Wait for a few steps' metrics (or an early exit, which the assertions below then report), then interrupt.
    let exited = false;
    void closed.then(() => (exited = true));
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        const file = join(out, 'metrics.jsonl');
        if (exited || (existsSync(file) && readFileSync(file, 'utf8').split('\n').length > 3)) {
          clearInterval(poll);
          resolve();
        }
      }, 100);
    });
    child.kill('SIGINT');
    const code = await closed;
    expect(stderr, stderr).toMatch(/SIGINT: saving a checkpoint/);
    expect(code).toBe(130);
    const step = Number(/stopped at step (\d+)/.exec(stderr)![1]);
    expect(readdirSync(out)).toContain(`checkpoint-${step}`);
    const resumed = await runFlan([
      'train',
      '--model',
      model!,
      '--mixture',
      mixture,
      '--out',
      out,
      '--steps',
      String(step + 2),
      ...small,
      '--resume',
    ]);
    expect(resumed.code).toBe(0);
    expect(metrics(out).map((m) => m.step)).toEqual(Array.from({ length: step + 2 }, (_, i) => i + 1));
  });

  it('a diverging learning rate stops with an error naming the step; the last checkpoint still loads', async () => {
    const mixture = writeMixture();
    const out = join(work, 'nan');
    const run = await runFlan([
      'train',
      '--model',
      model!,
      '--mixture',
      mixture,
      '--out',
      out,
      '--steps',
      '50',
      ...small,
      '--optimizer',
      'adamw',
      '--lr',
      '1e12',
      '--save-every',
      '1',
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/step \d+.*(NaN|infinite|Infinity)/i);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    const kept = readdirSync(out).filter((n) => n.startsWith('checkpoint-'));
    expect(kept.length).toBeGreaterThan(0);
    // The checkpoint of the last finite step loads (its weights are huge after lr 1e12, but intact).
    const last = join(out, kept.sort().at(-1)!);
    const state = JSON.parse(readFileSync(join(last, 'trainer_state.json'), 'utf8'));
    expect(run.stderr).toContain(`step ${state.step + 1}:`);
    await initBackend('cpu');
    const loaded = await loadT5(last);
    expect(loaded.config.dModel).toBe(64);
    loaded.dispose();
  });

  it('bad input fails before the first step with one line naming it', async () => {
    const mixture = writeMixture();
    const cases: [string[], RegExp][] = [
      [['--data', join(work, 'missing.jsonl')], /missing\.jsonl: cannot read/],
      [['--mixture', mixture, '--data', join(work, 'x.jsonl')], /exactly one of --mixture and --data/],
      [['--mixture', mixture, '--lora', 'r=0'], /--lora: r must be a positive integer/],
      [['--mixture', mixture, '--eval-every', '5'], /--eval-every: needs --eval-data/],
    ];
    const badLine = join(work, 'bad.jsonl');
    writeFileSync(badLine, '{"inputs": "a", "targets": "b"}\n{"inputs": "a"}\n');
    cases.push([['--data', badLine], /bad\.jsonl:2: missing field "targets"/]);
    const readOnly = join(work, 'ro');
    rmSync(readOnly, { force: true, recursive: true });
    writeFileSync(join(work, 'ro-file'), '');
    cases.push([
      ['--mixture', mixture, '--out-override', join(work, 'ro-file', 'sub')],
      /--out: cannot write/,
    ]);
    for (const [extra, message] of cases) {
      const outIndex = extra.indexOf('--out-override');
      const out = outIndex >= 0 ? extra.splice(outIndex, 2)[1]! : join(work, 'bad-out');
      const run = await runFlan([
        'train',
        '--model',
        model!,
        '--out',
        out,
        '--steps',
        '2',
        ...small,
        ...extra,
      ]);
      expect(run.code, extra.join(' ')).not.toBe(0);
      expect(run.stderr, extra.join(' ')).toMatch(message);
      expect(run.stderr.trim().split('\n'), run.stderr).toHaveLength(1);
      expect(existsSync(join(out, 'metrics.jsonl')), extra.join(' ')).toBe(false);
    }
    chmodSync(work, 0o755);
  });
});
