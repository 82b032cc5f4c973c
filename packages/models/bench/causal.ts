/**
 * The decoder-only benchmark: a SmolLM2-135M-shaped Llama (hidden 576, 30 layers, 9 heads, 3 kv
 * heads, intermediate 1536, vocab 49152, tied), random weights made here and saved once, so both
 * engines read the same file:
 *
 *   ours     CausalLMModel on tfjs-backend-wasm (one thread, as tfjs runs it in Node)
 *   PyTorch  the plain Llama of peers/causal_llama.py on Debian's python3-torch, CPU, one thread
 *
 * Measures prefill (batch 1 × 256 tokens, logits of the last position), greedy decoding with the
 * KV cache (32 steps after that prompt) and a full-parameter training step's forward and backward
 * (batch 2 × 128, no optimizer). Reports tokens/s by wall clock and by the process's CPU
 * time (the machine is shared: CPU-time ratios are the comparable figure), and the load average.
 *
 *   cd packages/models && npx tsx bench/causal.ts            (BENCH_QUICK=1: fewer repetitions;
 *                                                             BENCH_THREADS=N: N threads each, default 1)
 *   npx tsx bench/causal.ts --engine ours SPEC_JSON          (one engine, one JSON line; used by the above)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedFile, uniformFloats } from '@flan-ts/test-support';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/backend/index';
import { parseCausalConfig } from '../src/causal/config';
import { computeCausalGradients } from '../src/causal/gradients';
import { CausalLMModel } from '../src/causal/model';
import { expectedCausalTensors } from '../src/causal/parameters';
import { loadCausalLM } from '../src/checkpoint/node/causal';
import { saveCausalLM } from '../src/checkpoint/node/save-causal';
import type { DecoderCache } from '../src/t5/interface';

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

interface Spec {
  modelDir: string;
  /** Compute threads of each engine (ours: the wasm kernels' pool; PyTorch: intra-op threads). */
  threads: number;
  promptIds: number[];
  /** The training batch (each row's tokens are its labels). */
  trainIds: number[][];
  trainRepeats: number;
  decodeSteps: number;
  warmup: number;
  repeats: number;
}

interface Timing {
  wall_s: number[];
  cpu_s: number[];
}

interface EngineResult {
  prefill: Timing;
  decode: Timing;
  train: Timing;
  peak_rss_bytes: number;
}

const benchDir = dirname(fileURLToPath(import.meta.url));
const packageDir = dirname(benchDir);
const log = (m: string) => process.stderr.write(`[bench causal] ${m}\n`);

async function timed(fn: () => Promise<void>, warmup: number, repeats: number): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: Timing = { wall_s: [], cpu_s: [] };
  for (let i = 0; i < repeats; i++) {
    const wall = performance.now();
    const cpu = process.cpuUsage();
    await fn();
    const used = process.cpuUsage(cpu);
    out.cpu_s.push((used.user + used.system) / 1e6);
    out.wall_s.push((performance.now() - wall) / 1000);
  }
  return out;
}

/** Ours, in this process: prefill and cached greedy decoding. */
async function runOurs(spec: Spec): Promise<EngineResult> {
  await initBackend('wasm', { threads: spec.threads });
  const model = await loadCausalLM(spec.modelDir);
  const n = spec.promptIds.length;
  const prompt = tf.tensor2d([spec.promptIds], [1, n], 'int32');
  const prefill = async (): Promise<{ token: number; cache: DecoderCache }> => {
    const { logits, cache } = model.decode({ inputIds: prompt }, undefined, { lastPositionOnly: true });
    const token = (await tf.argMax(logits, -1).data())[0]!;
    logits.dispose();
    return { token, cache };
  };
  const result: Partial<EngineResult> = {};
  result.prefill = await timed(
    async () => {
      (await prefill()).cache.dispose();
    },
    spec.warmup,
    spec.repeats,
  );
  const start = await prefill();
  result.decode = await timed(
    async () => {
      let { token } = start;
      let cache = start.cache;
      for (let s = 0; s < spec.decodeSteps; s++) {
        const next = tf.tidy(() => {
          const r = model.decode(
            {
              inputIds: tf.tensor2d([[token]], [1, 1], 'int32'),
              positionIds: tf.tensor2d([[n + s]], [1, 1], 'int32'),
            },
            cache,
            { lastPositionOnly: true },
          );
          return { id: tf.argMax(r.logits, -1), cache: r.cache as unknown as tf.TensorContainer };
        }) as unknown as { id: tf.Tensor; cache: DecoderCache };
        token = (await next.id.data())[0]!;
        next.id.dispose();
        if (cache !== start.cache) cache.dispose();
        cache = next.cache;
      }
      if (cache !== start.cache) cache.dispose();
    },
    spec.warmup,
    spec.repeats,
  );
  start.cache.dispose();
  prompt.dispose();
  const inputIds = tf.tensor2d(spec.trainIds, undefined, 'int32');
  result.train = await timed(
    async () => {
      const { loss, grads } = computeCausalGradients(model, { inputIds, labels: inputIds });
      await loss.data();
      tf.dispose([loss, ...grads.values()]);
    },
    1,
    spec.trainRepeats,
  );
  inputIds.dispose();
  model.dispose();
  return { ...(result as EngineResult), peak_rss_bytes: process.resourceUsage().maxRSS * 1024 };
}

function runJson<T>(command: string, args: string[], threads = 1): T {
  const child = spawnSync(command, args, {
    cwd: packageDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
    env: {
      ...process.env,
      OMP_NUM_THREADS: String(threads),
      OPENBLAS_NUM_THREADS: String(threads),
      PYTHONDONTWRITEBYTECODE: '1',
    },
  });
  if (child.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${child.status}`);
  const lines = child.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}

/** Random weights of the config: linear and embedding N-ish(0, 0.02) (uniform of that spread), norms 1. */
async function writeRandomModel(dir: string): Promise<void> {
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
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const engineFlag = process.argv.indexOf('--engine');
  if (engineFlag >= 0) {
    const spec = JSON.parse(readFileSync(process.argv[engineFlag + 2]!, 'utf8')) as Spec;
    process.stdout.write(`${JSON.stringify(await runOurs(spec))}\n`);
    return;
  }
  const quick = process.env.BENCH_QUICK === '1';
  const work = mkdtempSync(join(tmpdir(), 'bench-causal-'));
  try {
    const fixture = sharedFile('fixtures/models/llama-tiny/config.json');
    if (fixture !== undefined) {
      const check = runJson<{ max_abs_diff: number }>('/usr/bin/python3', [
        'bench/peers/causal_llama.py',
        'check',
        dirname(fixture),
      ]);
      log(`PyTorch peer vs llama-tiny logits: max |diff| ${check.max_abs_diff.toExponential(2)}`);
    }
    const modelDir = join(work, 'model');
    log('writing the random SmolLM2-135M-shaped model');
    await writeRandomModel(modelDir);
    const spec: Spec = {
      modelDir,
      threads: Number(process.env.BENCH_THREADS ?? 1),
      promptIds: Array.from(uniformFloats(256, 7, 1, 49151), Math.floor),
      decodeSteps: 32,
      warmup: 1,
      repeats: quick ? 1 : 3,
      trainIds: [0, 1].map((r) => Array.from(uniformFloats(128, 11 + r, 1, 49151), Math.floor)),
      trainRepeats: quick ? 1 : 2,
    };
    const specPath = join(work, 'spec.json');
    writeFileSync(specPath, JSON.stringify(spec));
    const loadBefore = loadavg()[0]!;
    log('PyTorch');
    const torch = runJson<EngineResult>(
      '/usr/bin/python3',
      ['bench/peers/causal_llama.py', 'bench', specPath],
      spec.threads,
    );
    log('ours');
    const ours = runJson<EngineResult>(
      process.execPath,
      ['--import', 'tsx', 'bench/causal.ts', '--engine', 'ours', specPath],
      spec.threads,
    );
    const loadAfter = loadavg()[0]!;
    const rate = (t: Timing, tokens: number, key: keyof Timing) => tokens / median(t[key]);
    const rows = (
      [
        ['prefill 1×256 (tokens/s)', 'prefill', 256],
        [`decode with cache, ${spec.decodeSteps} steps after 256 (tokens/s)`, 'decode', spec.decodeSteps],
        ['train step (forward + backward), 2×128 (tokens/s)', 'train', 256],
      ] as const
    ).map(([label, key, tokens]) => {
      const [oc, tc] = [rate(ours[key], tokens, 'cpu_s'), rate(torch[key], tokens, 'cpu_s')];
      const [ow, tw] = [rate(ours[key], tokens, 'wall_s'), rate(torch[key], tokens, 'wall_s')];
      return `| ${label} | ${oc.toFixed(1)} | ${tc.toFixed(1)} | **${(oc / tc).toFixed(2)}×** | ${ow.toFixed(1)} | ${tw.toFixed(1)} | ${(ow / tw).toFixed(2)}× |`;
    });
    const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;
    process.stdout.write(
      [
        `SmolLM2-135M-shaped Llama, random weights, ${spec.threads} thread(s) each; load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)} (2 cores, shared)`,
        '',
        '| measurement | ours (CPU time) | PyTorch (CPU time) | ours / PyTorch | ours (wall) | PyTorch (wall) | ratio (wall) |',
        '| --- | --- | --- | --- | --- | --- | --- |',
        ...rows,
        `| peak RSS | ${mb(ours.peak_rss_bytes)} | ${mb(torch.peak_rss_bytes)} | | | | |`,
        '',
      ].join('\n'),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
