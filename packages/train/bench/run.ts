/**
 * `npm run bench -w @flan-ts/train`: finetuning throughput of ours (Trainer on tfjs-backend-wasm) and
 * of PyTorch on the CPU running the same recipe (peers/torch_train.py: the models bench's plain T5,
 * t5x Adafactor written in torch), one thread each, each engine and case in its own process.
 *
 * Models: flan-t5-small's shapes (and flan-t5-base's for LoRA) with random weights written here
 * (packages/models/bench/model.ts). Batches: seeded random examples with log-normal lengths, batch 8
 * at 512 → 128, padded to that shape or packed seqio-style (bench/data.ts). Cases:
 *
 *   full-padded    full finetuning, t5x Adafactor, 8 padded rows per step
 *   full-packed    the same, 8 packed rows per step
 *   full-accum64   one step accumulating 8 micro-batches of 8 (effective batch 64): does it fit the heap
 *   lora-small     LoRA r=8 (alpha 16) on q and v, 8 padded rows per step
 *   lora-base      the same on flan-t5-base's shapes: does it fit the heap
 *
 * Prints a markdown table; a complete run (not quick, every case and engine) writes bench/results.md.
 *
 *   BENCH_QUICK=1        fewer steps (and accumulation over 2 micro-batches), for trying the harness out
 *   BENCH_CASES=a,b      which cases (default: all)
 *   BENCH_ENGINES=torch,ours
 *   BENCH_RECOMPUTE=auto|on|off   ours: activation recomputation (auto: off first, on after an out-of-memory)
 *   BENCH_WORKDIR=DIR    keep the models and case files in DIR (models reused if there)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'prettier';
import { FLAN_T5_SMALL, writeRandomModel } from '../../models/bench/model';
import type { T5Config } from '../../models/src/t5/config';
import { makeExamples, packedSteps, paddedSteps } from './data';
import { renderTable, type CaseRuns } from './report';
import type { CaseResult, TrainCase } from './spec';

const benchDir = dirname(fileURLToPath(import.meta.url));
const packageDir = dirname(benchDir);
const repoRoot = dirname(dirname(packageDir));
const PYTHON = '/usr/bin/python3';
const quick = process.env.BENCH_QUICK === '1';
const ALL_CASES = ['full-padded', 'full-packed', 'full-accum64', 'lora-small', 'lora-base'];
const cases = (process.env.BENCH_CASES ?? ALL_CASES.join(',')).split(',');
const engines = (process.env.BENCH_ENGINES ?? 'torch,ours').split(',');
const recomputeMode = process.env.BENCH_RECOMPUTE ?? 'auto';
const keepDir = process.env.BENCH_WORKDIR;
process.env.PYTHONDONTWRITEBYTECODE = '1';

export const FLAN_T5_BASE: T5Config = {
  ...FLAN_T5_SMALL,
  dModel: 768,
  dFf: 2048,
  numHeads: 12,
  numLayers: 12,
  numDecoderLayers: 12,
};

const BATCH = 8;
const LORA = { r: 8, alpha: 16, targetModules: ['q', 'v'] };

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** Runs an engine process; its last stdout line is the JSON result. */
function runJson(command: string, args: string[], timeoutS: number): CaseResult | { error: string } {
  const started = performance.now();
  const child = spawnSync(command, args, {
    cwd: packageDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
    timeout: timeoutS * 1000,
    env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
  });
  log(
    `${args.at(-1)?.startsWith('--') ? args.slice(-2).join(' ') : args.at(-1)}: ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const last = child.stdout?.trim().split('\n').pop() ?? '';
  if (child.status === 0 && last.startsWith('{')) {
    try {
      return JSON.parse(last) as CaseResult;
    } catch {
      // fall through
    }
  }
  const why =
    child.error?.message ?? (child.signal ? `killed by ${child.signal}` : `exit code ${child.status}`);
  return { error: `${why}${last ? `: ${last.slice(0, 300)}` : ''}` };
}

function runOurs(casePath: string): CaseResult | { error: string } {
  const tsx = (extra: string[]) =>
    runJson(
      process.execPath,
      [
        '--conditions=@flan-ts/source',
        '--import',
        'tsx',
        join(benchDir, 'engines/ours.ts'),
        casePath,
        ...extra,
      ],
      900,
    );
  if (recomputeMode === 'on') return tsx(['--recompute']);
  const first = tsx([]);
  const error = first.error;
  if (recomputeMode === 'off' || error === undefined || !/out of memory|out of bounds/.test(error))
    return first;
  log(`ours without recomputation: ${error}; again with --recompute`);
  return tsx(['--recompute']);
}

function modelFiles(work: string, name: string, config: T5Config, seed: number) {
  const dir = join(work, name);
  const info = join(dir, 'model.json');
  if (existsSync(info)) return JSON.parse(readFileSync(info, 'utf8')) as ReturnType<typeof writeRandomModel>;
  mkdirSync(dir, { recursive: true });
  log(`writing random ${name}-shaped weights`);
  const files = writeRandomModel(dir, config, seed);
  writeFileSync(info, JSON.stringify(files));
  return files;
}

async function main(): Promise<void> {
  const deps = spawnSync('bash', [join(repoRoot, 'tools/system-deps.sh'), 'bench'], { stdio: 'inherit' });
  if (deps.status !== 0) throw new Error('tools/system-deps.sh bench failed');
  const work = keepDir ?? mkdtempSync(join(tmpdir(), 'flan-train-bench-'));
  mkdirSync(work, { recursive: true });
  try {
    const small = modelFiles(work, 'flan-t5-small', FLAN_T5_SMALL, 20241125);
    const base = cases.includes('lora-base')
      ? modelFiles(work, 'flan-t5-base', FLAN_T5_BASE, 20241126)
      : undefined;
    const examples = makeExamples(4096, 20251202);
    const timedSteps = quick ? 1 : 2;
    const accum = quick ? 2 : 8;
    const defs: Record<string, () => TrainCase> = {
      'full-padded': () => ({
        name: 'full-padded',
        config: small.config,
        weights: small.weights,
        steps: paddedSteps(examples, 1 + timedSteps, BATCH),
        warmup: 1,
        learningRate: 1e-3,
      }),
      'full-packed': () => ({
        name: 'full-packed',
        config: small.config,
        weights: small.weights,
        steps: packedSteps(examples, 1 + timedSteps, BATCH),
        warmup: 1,
        learningRate: 1e-3,
      }),
      // One accumulated step after one plain warm-up step; the accumulated step is timed.
      'full-accum64': () => ({
        name: 'full-accum64',
        config: small.config,
        weights: small.weights,
        steps: [paddedSteps(examples, 1, BATCH)[0]!, paddedSteps(examples.slice(BATCH), 1, BATCH, accum)[0]!],
        warmup: 1,
        learningRate: 1e-3,
      }),
      'lora-small': () => ({
        name: 'lora-small',
        config: small.config,
        weights: small.weights,
        lora: LORA,
        steps: paddedSteps(examples, 1 + timedSteps, BATCH),
        warmup: 1,
        learningRate: 1e-3,
      }),
      'lora-base': () => ({
        name: 'lora-base',
        config: base!.config,
        weights: base!.weights,
        lora: LORA,
        steps: paddedSteps(examples, quick ? 1 : 2, BATCH),
        warmup: quick ? 0 : 1,
        learningRate: 1e-3,
      }),
    };
    const runs: CaseRuns = {};
    const loads: string[] = [];
    for (const name of cases) {
      const def = defs[name];
      if (!def) throw new Error(`unknown case ${name} (known: ${ALL_CASES.join(', ')})`);
      const casePath = join(work, `${name}.json`);
      writeFileSync(casePath, JSON.stringify(def()));
      runs[name] = {};
      for (const engine of engines) {
        log(`${name}: ${engine}`);
        loads.push(`${name}/${engine} ${loadavg()[0]!.toFixed(1)}`);
        runs[name][engine as 'torch' | 'ours'] =
          engine === 'torch'
            ? runJson(PYTHON, [join(benchDir, 'peers/torch_train.py'), casePath], 600)
            : runOurs(casePath);
      }
    }
    const report = await format(
      renderTable(runs, {
        quick,
        accum,
        notes: [`1-minute load average when each run started (${cpus().length} cores): ${loads.join(', ')}.`],
      }),
      { parser: 'markdown' },
    );
    process.stdout.write(report);
    const complete =
      !quick &&
      ALL_CASES.every((c) => cases.includes(c)) &&
      ['torch', 'ours'].every((e) => engines.includes(e));
    if (complete) {
      writeFileSync(join(benchDir, 'results.md'), report);
      log('wrote bench/results.md');
    }
  } finally {
    if (!keepDir) rmSync(work, { recursive: true, force: true });
  }
}

await main();
