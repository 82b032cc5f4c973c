/**
 * The decoder-only benchmark (also run by `npm run bench`): a SmolLM2-135M-shaped Llama (hidden 576,
 * 30 layers, 9 heads, 3 kv heads, intermediate 1536, vocab 49152, tied), random weights made here and
 * saved once (HF layout), so every engine reads the same file:
 *
 *   ours     CausalLMModel on tfjs-backend-wasm (engines/causal-ours.ts)
 *   PyTorch  the plain Llama of peers/causal_llama.py on Debian's python3-torch, CPU
 *   ORT-web  onnxruntime-web's WASM backend (what transformers.js runs) on the graph that
 *            peers/causal_export_onnx.py exports from the PyTorch Llama (engines/causal-ort.ts)
 *
 * Measures prefill (batch 1 × 256 tokens, logits of the last position), greedy decoding with the KV
 * cache (32 steps after that prompt), and a training step's forward and backward at batch 8 × 256
 * (no optimizer), all parameters and LoRA (r 8 on q_proj and v_proj, PEFT's Llama default). Ours
 * retries a step that exhausts the 4 GiB wasm heap with activation recomputation, then at half the
 * batch. Each engine and phase runs in its own process (its peak RSS is its own), with the same
 * thread count. Reports tokens/s by the process's CPU time and by wall clock, and the load average
 * (the machine is shared: CPU-time ratios are the comparable figure).
 *
 * Before measuring, the PyTorch peer is checked against llama-tiny's reference logits and the
 * exported graph against its greedy tokens under onnxruntime-web.
 *
 *   cd packages/models && npx tsx bench/causal.ts
 *   BENCH_QUICK=1      one timed run each, for trying the harness out (results.md is not written)
 *   BENCH_THREADS=N    N threads in every engine (default 1)
 *   BENCH_WORKDIR=DIR  keep the model, adapter, graph and spec in DIR (reused when there)
 *
 * Prints a markdown report; a full run (not quick) also writes it to bench/causal-results.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sharedFile, uniformFloats } from '@flan-ts/test-support';
import { format } from 'prettier';
import { initBackend } from '../src/backend/index';
import { parseCausalConfig } from '../src/causal/config';
import { CausalLMModel } from '../src/causal/model';
import { expectedCausalTensors } from '../src/causal/parameters';
import { saveCausalLM } from '../src/checkpoint/node/save-causal';
import { serializeSafetensors, type NamedFloat32Tensor } from '../src/checkpoint/safetensors';
import { crossChecks, ENGINES, int, LABELS, problems, table, type Results } from './causal-report';
import {
  DECODE_STEPS,
  LORA,
  PROMPT_LEN,
  TRAIN_BATCH,
  TRAIN_LEN,
  type CausalResult,
  type CausalSpec,
  type Run,
  type TrainMode,
} from './causal-spec';
import { benchDir, packageDir, runJson as runChild, tsx } from './child';
import { machineInfo } from './report';

const SMOLLM2_135M = {
  model_type: 'llama',
  vocab_size: 49152,
  hidden_size: 576,
  intermediate_size: 1536,
  num_hidden_layers: 30,
  num_attention_heads: 9,
  num_key_value_heads: 3,
  head_dim: 64,
  rope_theta: 100000.0,
  rms_norm_eps: 1e-5,
  max_position_embeddings: 8192,
  tie_word_embeddings: true,
  eos_token_id: 0,
  pad_token_id: 0,
};

const repoRoot = dirname(dirname(packageDir));
const PYTHON = '/usr/bin/python3';
const quick = process.env.BENCH_QUICK === '1';
const threads = Number(process.env.BENCH_THREADS ?? 1);
const keepDir = process.env.BENCH_WORKDIR;
// The Python peers run from the source tree: leave no __pycache__ behind in it.
process.env.PYTHONDONTWRITEBYTECODE = '1';

const log = (m: string) => process.stderr.write(`[bench causal] ${m}\n`);

/** An engine process (`child.ts`) at the bench's thread count, logged under `[bench causal]`. */
function runJson<T>(command: string, args: string[], timeoutS: number) {
  return runChild<T>(command, args, { timeoutS, threads, log });
}

function python(script: string, ...args: string[]): [string, string[]] {
  return [PYTHON, [join(benchDir, 'peers', script), ...args]];
}

function exportOnnx(modelDir: string, file: string): void {
  const started = performance.now();
  const run = spawnSync(...python('causal_export_onnx.py', modelDir, file), { stdio: 'inherit' });
  if (run.status !== 0) throw new Error(`ONNX export of ${modelDir} failed`);
  log(`exported ${file}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** The PyTorch peer and the exported graph must reproduce llama-tiny before their speed means anything. */
function checkPeers(work: string): string[] {
  const fixture = sharedFile('fixtures/models/llama-tiny/config.json');
  if (fixture === undefined) return ['Peer checks skipped: the shared fixture llama-tiny is missing.'];
  const tinyDir = dirname(fixture);
  const torch = runJson<{ max_abs_diff: number }>(...python('causal_llama.py', 'check', tinyDir), 120);
  if (torch.error) throw new Error(`PyTorch peer does not match llama-tiny: ${torch.error}`);
  const tinyOnnx = join(work, 'llama-tiny.onnx');
  exportOnnx(tinyDir, tinyOnnx);
  const ort = runJson<{ greedy_tokens_identical: boolean }>(
    ...tsx('engines/causal-ort.ts', '--check', tinyDir, tinyOnnx),
    120,
  );
  if (ort.error) throw new Error(`the ONNX graph does not reproduce llama-tiny under ORT-web: ${ort.error}`);
  return [
    `PyTorch peer vs llama-tiny's reference logits (real positions of 3 right-padded rows): max |diff| ` +
      `${torch.value!.max_abs_diff.toExponential(1)}.`,
    `The graph exported from the peer, on llama-tiny under onnxruntime-web (empty past first, then the cache): ` +
      `greedy tokens of both reference prompts (10 each) identical to the reference.`,
  ];
}

/** Random weights of the config: linear and embedding uniform of spread ≈ N(0, 0.02), norms 1. */
async function writeRandomModel(dir: string): Promise<number> {
  const config = parseCausalConfig(SMOLLM2_135M);
  const tensors = new Map(
    expectedCausalTensors(config)
      .filter((t) => t.required)
      .map((t, i) => {
        const size = t.shape.reduce((a, b) => a * b, 1);
        const data =
          t.shape.length === 1
            ? new Float32Array(size).fill(1)
            : uniformFloats(size, 1000 + i, -0.035, 0.035);
        return [t.name, { name: t.name, shape: t.shape, data }] as const;
      }),
  );
  await initBackend('cpu');
  const model = CausalLMModel.fromTensors(config, tensors);
  await saveCausalLM(model, dir);
  model.dispose();
  return [...tensors.values()].reduce((n, t) => n + t.data.length, 0);
}

/**
 * A PEFT adapter for the benchmark (adapter_model.safetensors + adapter_config.json): A as PEFT's
 * kaiming-uniform bound 1/√in, and B small but nonzero (PEFT starts it at 0), so the adapter changes
 * the loss and the engines' losses check its arithmetic.
 */
function writeAdapter(dir: string): { file: string; modules: string[]; parameters: number } {
  mkdirSync(dir, { recursive: true });
  const hidden = SMOLLM2_135M.hidden_size;
  const outOf = {
    q_proj: SMOLLM2_135M.num_attention_heads * 64,
    v_proj: SMOLLM2_135M.num_key_value_heads * 64,
  };
  const modules: string[] = [];
  const tensors: NamedFloat32Tensor[] = [];
  let seed = 5000;
  for (let i = 0; i < SMOLLM2_135M.num_hidden_layers; i++) {
    for (const target of LORA.targets as (keyof typeof outOf)[]) {
      const module = `model.layers.${i}.self_attn.${target}`;
      modules.push(module);
      const bound = 1 / Math.sqrt(hidden);
      tensors.push(
        {
          name: `base_model.model.${module}.lora_A.weight`,
          shape: [LORA.r, hidden],
          data: uniformFloats(LORA.r * hidden, seed++, -bound, bound),
        },
        {
          name: `base_model.model.${module}.lora_B.weight`,
          shape: [outOf[target], LORA.r],
          data: uniformFloats(outOf[target] * LORA.r, seed++, -0.01, 0.01),
        },
      );
    }
  }
  const file = join(dir, 'adapter_model.safetensors');
  writeFileSync(file, serializeSafetensors(tensors));
  writeFileSync(
    join(dir, 'adapter_config.json'),
    JSON.stringify(
      {
        peft_type: 'LORA',
        r: LORA.r,
        lora_alpha: LORA.alpha,
        lora_dropout: 0,
        target_modules: LORA.targets,
        bias: 'none',
      },
      null,
      2,
    ),
  );
  return { file, modules, parameters: tensors.reduce((n, t) => n + t.data.length, 0) };
}

/**
 * Ours, one training mode: batch 8 as is; if the wasm heap runs out, with activation recomputation;
 * then halving the batch. Each attempt in its own process (an exhausted heap aborts the module).
 */
function oursTrain(specPath: string, mode: TrainMode): Run {
  const attempts = [{ batch: TRAIN_BATCH, recompute: false }];
  for (let b = TRAIN_BATCH; b >= 1; b = Math.floor(b / 2)) attempts.push({ batch: b, recompute: true });
  const failures: string[] = [];
  for (const { batch, recompute } of attempts) {
    const flags = [
      '--phase',
      'train',
      '--mode',
      mode,
      '--batch',
      String(batch),
      ...(recompute ? ['--recompute'] : []),
    ];
    const run = runJson<CausalResult>(...tsx('engines/causal-ours.ts', specPath, ...flags), 1800);
    const why = run.value?.train_error ?? run.error;
    const label = `batch ${batch}${recompute ? ' with recompute' : ''}`;
    if (!why) {
      if (failures.length) run.value!.train_error = `${failures.join('; ')}; measured at ${label}.`;
      return run;
    }
    log(`ours, ${mode} train step, ${label}: ${why}`);
    failures.push(`${label}: ${why}`);
  }
  return { error: failures.join('; ') };
}

function timingsOf(spec: CausalSpec): string {
  return quick
    ? `One timed run each after ${spec.warmup} warm-up (BENCH_QUICK)`
    : `Medians of ${spec.repeats} runs after ${spec.warmup} warm-up (train step: ${spec.trainRepeats} runs after ${spec.trainWarmup})`;
}

async function main(): Promise<void> {
  const deps = spawnSync('bash', [join(repoRoot, 'tools/system-deps.sh'), 'bench'], { stdio: 'inherit' });
  if (deps.status !== 0) throw new Error('tools/system-deps.sh bench failed');
  const started = new Date();
  const work = keepDir ?? mkdtempSync(join(tmpdir(), 'bench-causal-'));
  mkdirSync(work, { recursive: true });
  try {
    const notes = checkPeers(work);
    const modelDir = join(work, 'model');
    const onnxFile = join(work, 'model.onnx');
    const countFile = join(work, 'parameters');
    let count = existsSync(countFile) ? Number(readFileSync(countFile, 'utf8')) : NaN;
    if (!existsSync(onnxFile) || Number.isNaN(count)) {
      log('writing the random SmolLM2-135M-shaped model');
      count = await writeRandomModel(modelDir);
      log('exporting its ONNX graph');
      exportOnnx(modelDir, onnxFile);
      writeFileSync(countFile, String(count));
    }
    const adapter = writeAdapter(join(work, 'adapter'));
    const spec: CausalSpec = {
      modelDir,
      onnxFile,
      threads,
      promptIds: Array.from(uniformFloats(PROMPT_LEN, 7, 1, 49151), Math.floor),
      decodeSteps: DECODE_STEPS,
      warmup: 1,
      repeats: quick ? 1 : 3,
      trainIds: Array.from({ length: TRAIN_BATCH }, (_, r) =>
        Array.from(uniformFloats(TRAIN_LEN, 11 + r, 1, 49151), Math.floor),
      ),
      trainWarmup: 1,
      trainRepeats: quick ? 1 : 2,
      lora: { file: adapter.file, r: LORA.r, alpha: LORA.alpha, modules: adapter.modules },
    };
    const specPath = join(work, 'spec.json');
    writeFileSync(specPath, JSON.stringify(spec));

    const loads: string[] = [];
    const startEngine = (name: string) => {
      log(name);
      loads.push(`${name} ${loadavg()[0]!.toFixed(1)}`);
    };
    const loadBefore = loadavg();
    const results = { ours: {}, torch: {}, ort: {} } as Results;
    startEngine('PyTorch inference');
    results.torch.infer = runJson(...python('causal_llama.py', 'infer', specPath), 1800);
    startEngine('ORT-web inference');
    results.ort.infer = runJson(
      ...tsx('engines/causal-ort.ts', specPath, '--threads', String(threads)),
      1800,
    );
    startEngine('ours inference');
    results.ours.infer = runJson(...tsx('engines/causal-ours.ts', specPath, '--phase', 'infer'), 1800);
    for (const mode of ['full', 'lora'] as const) {
      startEngine(`PyTorch ${mode} train step`);
      results.torch[mode] = runJson(...python('causal_llama.py', 'train', specPath, mode), 1800);
      startEngine(`ours ${mode} train step`);
      results.ours[mode] = oursTrain(specPath, mode);
    }
    const loadAfter = loadavg();
    const finished = new Date();

    const fails = problems(results);
    const engineLines = ENGINES.flatMap((e) => {
      const name = results[e].infer.value?.engine ?? results[e].full?.value?.engine;
      return name ? [`- ${LABELS[e]}: ${name}`] : [];
    });
    const lines = [
      '# @flan-ts/models decoder-only benchmark',
      '',
      `Model: SmolLM2-135M's shapes (hidden 576, 30 layers, 9 heads / 3 kv heads, head_dim 64, intermediate 1536 SiLU-gated, ` +
        `vocab 49152, tied; ${int(count)} parameters), random weights made at bench time, float32, ` +
        `${threads} thread(s) in every engine. ${timingsOf(spec)}; ±x% is half the range of the runs around the median. ` +
        `LoRA: r ${LORA.r}, alpha ${LORA.alpha} on ${LORA.targets.join(' and ')} of every layer (${int(adapter.parameters)} ` +
        `trainable parameters; base weights frozen). Train steps are forward + backward with no optimizer; tokens = batch × ${TRAIN_LEN}.`,
      '',
      `Run ${started.toISOString()} → ${finished.toISOString()}. 1-minute load average ${loadBefore[0]!.toFixed(2)} before, ` +
        `${loadAfter[0]!.toFixed(2)} after (${cpus().length} cores, shared); when each engine started: ${loads.join(', ')}.`,
      '',
      "Rates per second of the process's CPU time (the comparable figure on a shared machine):",
      '',
      ...table(results, 'cpu_s', true),
      '',
      'The same runs by wall-clock time:',
      '',
      ...table(results, 'wall_s', false),
      '',
      'Ratios are ours / peer: above 1 is better for tokens/s, below 1 is better for memory. onnxruntime-web ' +
        'has no training (its training build is not part of the package), so it has no train-step figures.',
      '',
      ...(fails.length ? ['## Not measured as asked / failed', '', ...fails.map((p) => `- ${p}`), ''] : []),
      '## Cross-checks',
      '',
      ...[...notes, ...crossChecks(results)].map((n) => `- ${n}`),
      '',
      '## Engines and machine',
      '',
      ...engineLines,
      `- ${machineInfo()}`,
      '',
    ];
    const report = await format(lines.join('\n'), { parser: 'markdown' });
    process.stdout.write(report);
    if (!quick) {
      writeFileSync(join(benchDir, 'causal-results.md'), report);
      log('wrote bench/causal-results.md');
    }
  } finally {
    if (!keepDir) rmSync(work, { recursive: true, force: true });
  }
}

await main();
