/**
 * `npm run bench` for @flan-ts/models: flan-t5-small's shapes, random weights made here, the same
 * weights and inputs for every engine, each engine in its own process (so its peak memory is its own):
 *
 *   ours     T5Model on tfjs-backend-wasm (engines/ours.ts)
 *   PyTorch  the plain T5 of peers/t5.py on Debian's python3-torch, CPU
 *   ORT-web  onnxruntime-web's WASM backend on graphs exported from the PyTorch T5 (engines/ort.ts)
 *
 * Each engine runs at 1 and at 2 threads (BENCH_THREADS), and bench/gemm-ceiling.ts measures the GEMM
 * ceiling at 1 and 2 threads with and without fused multiply-add.
 *
 * Before measuring, the PyTorch peer and the exported graphs are checked against the shared fixtures.
 * Prints a markdown table; a complete run (all engines, not quick) also writes it to bench/results.md.
 *
 *   npm run bench -w @flan-ts/models            (or: cd packages/models && npx tsx bench/run.ts)
 *   BENCH_QUICK=1 ...                           fewer repetitions, for trying the harness out
 *   BENCH_ENGINES=torch,ort,ours                which engines to run (default: all)
 *   BENCH_WORKDIR=DIR                           keep the model, graphs and spec in DIR (reused if there)
 *   BENCH_THREADS=1,2                           the thread counts (default 1,2; the 1-thread run is the detailed report)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { seededUniform, sharedFile } from '@flan-ts/test-support';
import { format } from 'prettier';
import { FLAN_T5_SMALL, writeRandomModel } from './model';
import { benchDir, packageDir, runJson as runChild, tsx, tsxWith } from './child';
import type { BenchSpec, EngineResult } from './spec';
import { machineInfo, renderReport, type EngineRuns } from './report';
import { renderThreads, type CeilingResult, type ScalingRun } from './threads-report';

const repoRoot = dirname(dirname(packageDir));
const PYTHON = '/usr/bin/python3';
const quick = process.env.BENCH_QUICK === '1';
const selected = new Set((process.env.BENCH_ENGINES ?? 'torch,ort,ours').split(','));
const keepDir = process.env.BENCH_WORKDIR;
const threadCounts = (process.env.BENCH_THREADS ?? '1,2').split(',').map(Number);
// The Python peers run from the source tree: leave no __pycache__ behind in it.
process.env.PYTHONDONTWRITEBYTECODE = '1';

const SRC_LEN = 128;
const TGT_LEN = 32;
const MAX_BATCH = 8;

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** An engine process (`child.ts`) at `threads` threads, logged under `[bench]`. */
function runJson<T>(command: string, args: string[], timeoutS: number, threads = 1) {
  return runChild<T>(command, args, { timeoutS, threads, log });
}

function randomIds(rows: number, cols: number, next: () => number): number[][] {
  // Ids of real SentencePiece pieces (3..31999): no pad, eos or unk inside the sequences.
  return Array.from({ length: rows }, () =>
    Array.from({ length: cols }, () => 3 + Math.floor(next() * 31997)),
  );
}

function makeInputs(): BenchSpec['inputs'] {
  const next = seededUniform(20241125);
  const inputIds = randomIds(MAX_BATCH, SRC_LEN, next);
  const labels = randomIds(MAX_BATCH, TGT_LEN, next).map((row) => [...row.slice(0, -1), 1]);
  const decoderInputIds = labels.map((row) => [0, ...row.slice(0, -1)]);
  return { input_ids: inputIds, decoder_input_ids: decoderInputIds, labels };
}

/** The PyTorch peer and the ONNX graphs must reproduce the fixtures before their speed means anything. */
function checkPeers(work: string): string[] {
  const notes: string[] = [];
  const flan = sharedFile('fixtures/models/flan-t5-tiny/config.json');
  const t5 = sharedFile('fixtures/models/t5-tiny/config.json');
  if (flan === undefined || t5 === undefined) {
    notes.push('Peer checks skipped: the shared fixtures are missing.');
    return notes;
  }
  const flanDir = dirname(flan);
  const torchCheck = runJson<Record<string, unknown>[]>(
    PYTHON,
    [join(benchDir, 'peers/check_fixture.py'), flanDir, dirname(t5)],
    120,
  );
  if (torchCheck.error) throw new Error(`PyTorch peer does not match the fixtures: ${torchCheck.error}`);
  for (const r of torchCheck.value!) {
    notes.push(
      `PyTorch peer on ${String(r.model)}: encoder max |diff| ${Number(r.encoder_max_abs_diff).toExponential(1)}, ` +
        `logits max |diff| ${Number(r.logits_max_abs_diff).toExponential(1)}, loss |diff| ${Number(r.loss_abs_diff).toExponential(1)}, ` +
        `greedy tokens identical: ${String(r.greedy_tokens_identical)}.`,
    );
  }
  const tinyOnnx = join(work, 'flan-t5-tiny-onnx');
  const exported = spawnSync(PYTHON, [join(benchDir, 'peers/export_onnx.py'), flanDir, tinyOnnx], {
    stdio: 'inherit',
  });
  if (exported.status !== 0) throw new Error('ONNX export of flan-t5-tiny failed');
  const ortCheck = runJson<{ greedy_tokens_identical: boolean }>(
    ...tsx('engines/ort.ts', '--check', flanDir, tinyOnnx),
    120,
  );
  if (ortCheck.error) throw new Error(`ORT-web graphs do not match the fixtures: ${ortCheck.error}`);
  notes.push(
    `ORT-web graphs exported from the peer, on flan-t5-tiny: batched greedy tokens identical to the reference.`,
  );
  return notes;
}

/** Ours trains in a child per attempt: a wasm heap abort leaves the module unusable. */
function runOurs(specPath: string, trainBatch: number, threads: number): EngineResult | { error: string } {
  const t = ['--threads', String(threads)];
  const inference = runJson<EngineResult>(...tsx('engines/ours.ts', specPath, '--phase', 'infer', ...t), 600);
  if (inference.error) return { error: inference.error };
  const result = inference.value!;
  let failure: string | undefined;
  for (let batch = trainBatch; batch >= 1; batch = Math.floor(batch / 2)) {
    const train = runJson<EngineResult>(
      ...tsx('engines/ours.ts', specPath, '--phase', 'train', '--batch', String(batch), ...t),
      600,
    );
    if (train.value && !train.value.train_error) {
      Object.assign(result, train.value, {
        engine: result.engine,
        timings: { ...result.timings, ...train.value.timings },
      });
      if (failure) result.train_error = `batch ${trainBatch}: ${failure}; largest batch that fits: ${batch}`;
      return result;
    }
    failure ??= train.value?.train_error ?? train.error;
    log(`ours, train batch ${batch}: ${train.value?.train_error ?? train.error}`);
  }
  result.train_error = `batch ${trainBatch}: ${failure}; no batch fits`;
  return result;
}

async function main(): Promise<void> {
  const deps = spawnSync('bash', [join(repoRoot, 'tools/system-deps.sh'), 'bench'], { stdio: 'inherit' });
  if (deps.status !== 0) throw new Error('tools/system-deps.sh bench failed');
  const work = keepDir ?? mkdtempSync(join(tmpdir(), 'flan-models-bench-'));
  if (keepDir) mkdirSync(keepDir, { recursive: true });
  try {
    const notes = checkPeers(work);
    const onnxDir = join(work, 'onnx');
    const modelFile = join(work, 'model.json');
    let model: ReturnType<typeof writeRandomModel>;
    if (keepDir && existsSync(modelFile) && existsSync(join(onnxDir, 'decoder_with_past.onnx'))) {
      model = JSON.parse(readFileSync(modelFile, 'utf8')) as ReturnType<typeof writeRandomModel>;
    } else {
      log('writing random flan-t5-small-shaped weights');
      model = writeRandomModel(work, FLAN_T5_SMALL, 20241125);
      log('exporting ONNX graphs');
      const exported = spawnSync(PYTHON, [join(benchDir, 'peers/export_onnx.py'), work, onnxDir], {
        stdio: 'inherit',
      });
      if (exported.status !== 0) throw new Error('ONNX export failed');
      writeFileSync(modelFile, JSON.stringify(model));
    }
    const spec: BenchSpec = {
      config: model.config,
      weights: model.weights,
      onnxDir,
      inputs: makeInputs(),
      warmup: 1,
      repeats: quick ? 2 : 5,
      encoder_batches: [1, 8],
      decode_new_tokens: 32,
      train_batch: MAX_BATCH,
      train_warmup: 1,
      train_repeats: quick ? 1 : 3,
    };
    const specPath = join(work, 'spec.json');
    writeFileSync(specPath, JSON.stringify(spec));

    const byThreads = new Map<number, EngineRuns>();
    // The machine may be shared: the load each engine started under says how comparable they are.
    const loads: string[] = [];
    const startEngine = (name: string) => {
      log(name);
      loads.push(`${name} ${loadavg()[0]!.toFixed(1)}`);
    };
    for (const threads of threadCounts) {
      const engines: EngineRuns = {};
      byThreads.set(threads, engines);
      if (selected.has('torch')) {
        startEngine(`PyTorch ×${threads}`);
        engines.torch = toRuns(
          runJson<EngineResult>(
            PYTHON,
            [join(benchDir, 'peers/torch_bench.py'), specPath, String(threads)],
            600,
            threads,
          ),
        );
      }
      if (selected.has('ort')) {
        startEngine(`ORT-web ×${threads}`);
        engines.ort = toRuns(
          runJson<EngineResult>(...tsx('engines/ort.ts', specPath, '--threads', String(threads)), 600),
        );
      }
      if (selected.has('ours')) {
        startEngine(`ours ×${threads}`);
        engines.ours = runOurs(specPath, spec.train_batch, threads);
      }
    }
    const engines = byThreads.get(1) ?? byThreads.get(threadCounts[0]!) ?? {};
    const ceilings: CeilingResult[] = [];
    const ceilingErrors: string[] = [];
    if (selected.has('ours')) {
      for (const fma of [false, true]) {
        startEngine(`GEMM ceiling${fma ? ' (FMA)' : ''}`);
        const flags = fma ? ['--experimental-wasm-relaxed-simd'] : [];
        const run = runJson<CeilingResult>(
          ...tsxWith(flags, 'gemm-ceiling.ts', '--fma', fma ? '1' : '0'),
          600,
        );
        if (run.value) ceilings.push(run.value);
        else ceilingErrors.push(`GEMM ceiling${fma ? ' with FMA' : ''}: ${run.error}`);
      }
    }

    let interleaved: ScalingRun | { error: string } | undefined;
    if (selected.has('ours') && threadCounts.includes(2)) {
      startEngine('ours, 1 vs 2 threads interleaved');
      const run = runJson<ScalingRun>(
        ...tsx('engines/ours.ts', specPath, '--phase', 'scaling', '--threads', '2'),
        900,
      );
      interleaved = run.value ?? { error: run.error ?? 'no result' };
    }
    notes.push(
      `1-minute load average when each engine started (${cpus().length} cores): ${loads.join(', ')}.`,
    );
    // Formatted as the repository's prettier would, so results.md passes `npm run format:check`.
    const report = await format(
      renderReport({
        spec,
        config: FLAN_T5_SMALL,
        engines,
        parameters: model.parameters,
        notes,
        machine: machineInfo(),
      }) +
        '\n' +
        renderThreads(spec, byThreads, loads, ceilings, ceilingErrors, interleaved).join('\n'),
      { parser: 'markdown' },
    );
    process.stdout.write(report);
    // Only a complete run replaces the recorded results.
    if (!quick && selected.size === 3 && ['torch', 'ort', 'ours'].every((e) => selected.has(e))) {
      writeFileSync(join(benchDir, 'results.md'), report);
      log('wrote bench/results.md');
    }
  } finally {
    if (!keepDir) rmSync(work, { recursive: true, force: true });
  }
}

function toRuns(run: { value?: EngineResult; error?: string }): EngineResult | { error: string } {
  return run.value ?? { error: run.error ?? 'no result' };
}

await main();
