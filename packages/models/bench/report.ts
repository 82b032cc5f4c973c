/** The benchmark's markdown: one table (medians, with ratios ours/peer), cross-checks, machine info. */
import { cpus, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { T5Config } from '../src/t5/config';
import { encoderFlops, trainStepFlops } from './flops';
import { median, type BenchSpec, type EngineResult, type Timing } from './spec';

export type EngineKey = 'ours' | 'torch' | 'ort';
export type EngineRuns = Partial<Record<EngineKey, EngineResult | { error: string }>>;

export const LABELS: Record<EngineKey, string> = {
  ours: 'ours (tfjs wasm)',
  torch: 'PyTorch (CPU)',
  ort: 'ORT-web (wasm)',
};

export function machineInfo(): string {
  // The root node_modules: some packages (onnxruntime-web) do not export their package.json.
  const modules = join(dirname(fileURLToPath(import.meta.url)), '../../../node_modules');
  const version = (pkg: string) =>
    (JSON.parse(readFileSync(join(modules, pkg, 'package.json'), 'utf8')) as { version: string }).version;
  const cpu = cpus();
  return [
    `${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} logical cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM`,
    `Node ${process.version}, @tensorflow/tfjs-core ${version('@tensorflow/tfjs-core')}, ` +
      `@tensorflow/tfjs-backend-wasm ${version('@tensorflow/tfjs-backend-wasm')}, onnxruntime-web ${version('onnxruntime-web')}`,
  ].join('; ');
}

export type Clock = keyof Timing;

export interface Row {
  metric: string;
  /** An engine's runs turned into the reported value; undefined when not measured. */
  value: (r: EngineResult, clock: Clock) => { value: number; spread?: number; note?: string } | undefined;
  /** Memory rows do not depend on the clock. */
  timed: boolean;
  format: (v: number) => string;
  /** Whether a larger value is better (throughput) or a smaller one (latency, memory). */
  higherIsBetter: boolean;
}

/** Median of `count / seconds`, and the half-range of the runs relative to the median. */
export function rate(timing: Timing | undefined, clock: Clock, count: number) {
  const runs = timing?.[clock];
  if (!runs || runs.length === 0) return undefined;
  const rates = runs.map((s) => count / s);
  const m = median(rates);
  return { value: m, spread: (Math.max(...rates) - Math.min(...rates)) / 2 / m };
}

const int = (v: number) => Math.round(v).toLocaleString('en-US');
const mib = (v: number) => `${Math.round(v / 2 ** 20).toLocaleString('en-US')} MiB`;

export function rows(spec: BenchSpec): Row[] {
  const src = spec.inputs.input_ids[0]!.length;
  const tgt = spec.inputs.labels[0]!.length;
  const n = spec.decode_new_tokens;
  const encoder = spec.encoder_batches.map((batch): Row => ({
    metric: `encoder tokens/s, batch ${batch} × ${src}`,
    value: (r, clock) => rate(r.timings[`encoder_b${batch}`], clock, batch * src),
    timed: true,
    format: int,
    higherIsBetter: true,
  }));
  return [
    ...encoder,
    {
      metric: `greedy decode tokens/s, batch 1, ${n} new tokens after ${src}, with cache`,
      value: (r, clock) => rate(r.timings.greedy_decode, clock, n),
      timed: true,
      format: int,
      higherIsBetter: true,
    },
    {
      metric: 'greedy decode ms/token',
      timed: true,
      value: (r, clock) => {
        const t = rate(r.timings.greedy_decode, clock, n);
        return t && { value: 1000 / t.value, spread: t.spread };
      },
      format: (v) => v.toFixed(1),
      higherIsBetter: false,
    },
    {
      metric: `train step tokens/s (forward + backward), batch ${spec.train_batch} × (${src} + ${tgt})`,
      timed: true,
      value: (r, clock) => {
        const t = rate(r.timings.train_step, clock, (r.train_batch ?? spec.train_batch) * (src + tgt));
        if (!t) return undefined;
        return r.train_batch !== spec.train_batch ? { ...t, note: `at batch ${r.train_batch}` } : t;
      },
      format: int,
      higherIsBetter: true,
    },
    {
      metric: 'peak RSS of the process (after the train step)',
      value: (r) => (r.peak_rss_bytes === undefined ? undefined : { value: r.peak_rss_bytes }),
      timed: false,
      format: mib,
      higherIsBetter: false,
    },
    {
      metric: 'peak wasm heap (train step)',
      value: (r) => (r.peak_wasm_heap_bytes === undefined ? undefined : { value: r.peak_wasm_heap_bytes }),
      timed: false,
      format: mib,
      higherIsBetter: false,
    },
    {
      metric: 'peak tfjs tensor bytes (train step)',
      value: (r) => (r.peak_tensor_bytes === undefined ? undefined : { value: r.peak_tensor_bytes }),
      timed: false,
      format: mib,
      higherIsBetter: false,
    },
  ];
}

export function result(runs: EngineRuns, key: EngineKey): EngineResult | undefined {
  const r = runs[key];
  return r && !('error' in r && Object.keys(r).length === 1) ? (r as EngineResult) : undefined;
}

function cell(row: Row, r: EngineResult | undefined, clock: Clock): string {
  const v = r && row.value(r, clock);
  if (!v) return '–';
  const spread = v.spread !== undefined && v.spread >= 0.005 ? ` ±${Math.round(v.spread * 100)}%` : '';
  return `${row.format(v.value)}${spread}${v.note ? ` (${v.note})` : ''}`;
}

function ratio(
  row: Row,
  ours: EngineResult | undefined,
  peer: EngineResult | undefined,
  clock: Clock,
): string {
  const a = ours && row.value(ours, clock);
  const b = peer && row.value(peer, clock);
  if (!a || !b || a.note || b.note) return '–';
  return `${(a.value / b.value).toFixed(2)}×`;
}

function table(
  spec: BenchSpec,
  engines: (EngineResult | undefined)[],
  clock: Clock,
  withMemory: boolean,
): string[] {
  const [ours, torch, ort] = engines;
  return [
    `| metric | ${LABELS.ours} | ${LABELS.torch} | ${LABELS.ort} | ours / PyTorch | ours / ORT-web |`,
    '|---|---:|---:|---:|---:|---:|',
    ...rows(spec)
      .filter((row) => (withMemory || row.timed) && engines.some((r) => r && row.value(r, clock)))
      .map(
        (row) =>
          `| ${row.metric} | ${cell(row, ours, clock)} | ${cell(row, torch, clock)} | ${cell(row, ort, clock)} | ` +
          `${ratio(row, ours, torch, clock)} | ${ratio(row, ours, ort, clock)} |`,
      ),
  ];
}

export interface ReportInput {
  spec: BenchSpec;
  /** The benchmark model's config (for its FLOPs). */
  config: T5Config;
  engines: EngineRuns;
  parameters: number;
  notes: string[];
  machine: string;
}

export function renderReport({ spec, config, engines, parameters, notes, machine }: ReportInput): string {
  const ours = result(engines, 'ours');
  const torch = result(engines, 'torch');
  const ort = result(engines, 'ort');
  const lines = [
    '# @flan-ts/models benchmark',
    '',
    `Model: flan-t5-small's shapes (d_model 512, d_kv 64, 6 heads, d_ff 1024 gated-gelu, 8 + 8 layers, ` +
      `vocab 32128, untied head; ${parameters.toLocaleString('en-US')} parameters), random weights made at bench time, ` +
      `float32, one thread everywhere. Medians of ${spec.repeats} runs (train step: ${spec.train_repeats}) after ` +
      `${spec.warmup} warm-up run; ±x% is half the range of the runs around the median. Rates are per second of ` +
      `the process's CPU time (one compute thread each, so equal to tokens/s on an idle core).`,
    '',
    ...table(spec, [ours, torch, ort], 'cpu_s', true),
    '',
    'The same runs by wall-clock time (what a user waits; on a shared machine it includes time spent waiting for a core):',
    '',
    ...table(spec, [ours, torch, ort], 'wall_s', false),
    '',
    'Ratios are ours / peer: above 1 is better for tokens/s, below 1 is better for ms/token and memory.',
    '',
  ];
  lines.push(...ceiling(spec, config, [ours, torch, ort]), '');
  const problems = (Object.keys(LABELS) as EngineKey[]).flatMap((key) => {
    const r = engines[key];
    if (!r) return [`${LABELS[key]}: not run.`];
    if ('error' in r && r.error) return [`${LABELS[key]}: failed: ${r.error}`];
    const e = r as EngineResult;
    return e.train_error ? [`${LABELS[key]}, train step: ${e.train_error}.`] : [];
  });
  if (problems.length) lines.push('## Not measured / failed', '', ...problems.map((p) => `- ${p}`), '');
  lines.push(
    '## Cross-checks',
    '',
    ...notes.map((n) => `- ${n}`),
    ...crossChecks({ ours, torch, ort }).map((n) => `- ${n}`),
    '',
  );
  lines.push('## Engines and machine', '');
  for (const [key, r] of [
    ['ours', ours],
    ['torch', torch],
    ['ort', ort],
  ] as const) {
    if (r) lines.push(`- ${LABELS[key]}: ${r.engine}`);
  }
  lines.push(`- ${machine}`, `- ${new Date().toISOString()}`, '');
  return lines.join('\n');
}

/**
 * Effective float32 throughput (model FLOPs / CPU time) next to the measured WASM SIMD ceiling: a
 * peer above the ceiling does what no kernel on tfjs's wasm backend can do on this machine.
 */
function ceiling(spec: BenchSpec, config: T5Config, engines: (EngineResult | undefined)[]): string[] {
  const src = spec.inputs.input_ids[0]!.length;
  const tgt = spec.inputs.labels[0]!.length;
  const measurements = [
    ...spec.encoder_batches.map((batch) => ({
      label: `encoder, batch ${batch} × ${src}`,
      key: `encoder_b${batch}`,
      flops: (_r: EngineResult) => encoderFlops(config, batch, src),
    })),
    {
      label: `train step, batch ${spec.train_batch} × (${src} + ${tgt})`,
      key: 'train_step',
      flops: (r: EngineResult) => trainStepFlops(config, r.train_batch ?? spec.train_batch, src, tgt),
    },
  ];
  const gflops = (r: EngineResult | undefined, m: (typeof measurements)[number]) => {
    const t = r && rate(r.timings[m.key], 'cpu_s', m.flops(r) / 1e9);
    return t ? t.value.toFixed(1) : '–';
  };
  const peak = engines[0]?.simd128_peak_gflops;
  return [
    '## Against the machine',
    '',
    "Effective float32 GFLOP/s: the network's matmul FLOPs (bench/flops.ts; a train step counts 3× the " +
      'forward) per CPU second. ' +
      (peak === undefined
        ? ''
        : `The ceiling of 128-bit WASM SIMD on this machine, measured as register-only f32x4 multiply-adds in ` +
          `one thread (bench/simd-peak.ts; Node 20 has no wasm fused multiply-add), is **${peak.toFixed(1)} GFLOP/s**: ` +
          "no float32 kernel on a WASM backend, ours or onnxruntime-web's, can run faster, so a PyTorch figure " +
          'above it (AVX-512 through OpenBLAS) cannot be matched by a single-threaded WASM engine here.'),
    '',
    `| measurement | model GFLOP | ${LABELS.ours} | ${LABELS.torch} | ${LABELS.ort} |`,
    '|---|---:|---:|---:|---:|',
    ...measurements
      .filter((m) => engines.some((r) => r?.timings[m.key]))
      .map((m) => {
        const flops = m.flops(engines.find((r) => r?.timings[m.key]) as EngineResult) / 1e9;
        return `| ${m.label} | ${flops.toFixed(1)} | ${engines.map((r) => gflops(r, m)).join(' | ')} |`;
      }),
  ];
}

/** Engines on the same weights and inputs must compute the same thing. */
function crossChecks(engines: Record<EngineKey, EngineResult | undefined>): string[] {
  const out: string[] = [];
  const present = (Object.entries(engines) as [EngineKey, EngineResult | undefined][]).filter(
    (e): e is [EngineKey, EngineResult] => e[1] !== undefined,
  );
  const sums = present.filter(([, r]) => r.encoder_checksum !== undefined);
  if (sums.length > 1) {
    out.push(
      `Sum of the batch-1 encoder output: ${sums.map(([k, r]) => `${LABELS[k]} ${r.encoder_checksum!.toFixed(3)}`).join(', ')}.`,
    );
  }
  const tokens = present.filter(([, r]) => r.greedy_tokens !== undefined);
  if (tokens.length > 1) {
    const first = JSON.stringify(tokens[0]![1].greedy_tokens);
    const same = tokens.every(([, r]) => JSON.stringify(r.greedy_tokens) === first);
    out.push(
      same
        ? `Greedy tokens identical across ${tokens.map(([k]) => LABELS[k]).join(', ')}.`
        : `Greedy tokens differ: ${tokens.map(([k, r]) => `${LABELS[k]} ${JSON.stringify(r.greedy_tokens)}`).join('; ')}.`,
    );
  }
  const losses = present.filter(([, r]) => r.train_loss !== undefined);
  if (losses.length > 0) {
    out.push(
      `Train-step loss: ${losses.map(([k, r]) => `${LABELS[k]} ${r.train_loss!.toFixed(6)} (batch ${r.train_batch})`).join(', ')}.`,
    );
  }
  return out;
}
