/**
 * The thread sections of the benchmark's markdown: every engine at 1 and at 2 threads by wall-clock
 * time (threads shorten waits, not CPU time), the scaling 1→2 per row, how many cores each run kept
 * busy (CPU time / wall time), and the GEMM ceiling at 1 and 2 threads with and without FMA.
 */
import { result, rows, type EngineKey, type EngineRuns, type Row } from './report';
import { median, type BenchSpec, type EngineResult } from './spec';

/** What bench/gemm-ceiling.ts prints for one variant. */
export interface CeilingResult {
  fma: boolean;
  peak_t1: number;
  peak_t2: number;
  gemm_t1: { wall: number; cpu: number };
  gemm_t2: { wall: number; cpu: number };
}

const ENGINES: EngineKey[] = ['ours', 'torch', 'ort'];

function value(row: Row, r: EngineResult | undefined): number | undefined {
  return r ? row.value(r, 'wall_s')?.value : undefined;
}

function fmt(row: Row, v: number | undefined): string {
  return v === undefined ? '–' : row.format(v);
}

function times(a: number | undefined, b: number | undefined, higherIsBetter: boolean): string {
  if (a === undefined || b === undefined) return '–';
  return `${(higherIsBetter ? a / b : b / a).toFixed(2)}×`;
}

/** Median CPU seconds per wall second of one measurement: the cores it kept busy. */
function busy(r: EngineResult | undefined, key: string): string {
  const t = r?.timings[key];
  if (!t || t.wall_s.length === 0) return '–';
  return median(t.cpu_s.map((c, i) => c / t.wall_s[i]!)).toFixed(2);
}

/** What `engines/ours.ts --phase scaling` prints (1 vs 2 threads interleaved in one process). */
export interface ScalingRun {
  rounds: number;
  scaling: Record<string, { median: number; min: number; max: number }>;
}

export function renderThreads(
  spec: BenchSpec,
  byThreads: Map<number, EngineRuns>,
  loads: string[],
  ceilings: CeilingResult[],
  ceilingErrors: string[],
  interleaved?: ScalingRun | { error: string },
): string[] {
  const one = byThreads.get(1) ?? {};
  const two = byThreads.get(2) ?? {};
  const timedRows = rows(spec).filter((row) => row.timed);
  const lines = [
    '## Threads: 1 and 2',
    '',
    'Wall-clock rates (threads shorten what a user waits, not the CPU time spent), each engine at 1 and 2 ' +
      'threads: ours `setNumThreads(n)`, PyTorch `torch.set_num_threads(n)` (OMP and OpenBLAS threads n, `OMP_WAIT_POLICY=PASSIVE`: spinning OpenMP threads and OpenBLAS pthreads otherwise fight over the cores), ' +
      'ORT-web `ort.env.wasm.numThreads = n`. "×" is the scaling 1→2 (above 1 is faster on 2 threads). ' +
      "The machine is shared with other engineers' tests: the load average is recorded per run below, " +
      'and with load above the 2 cores the second thread waits for a core, so the scaling is understated.',
    '',
    `| metric | ours 1 | ours 2 | ours × | PyTorch 1 | PyTorch 2 | PyTorch × | ORT-web 1 | ORT-web 2 | ORT-web × | ours / PyTorch at 2 | ours / ORT-web at 2 |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...timedRows.map((row) => {
      const cells = ENGINES.flatMap((key) => {
        const a = value(row, result(one, key));
        const b = value(row, result(two, key));
        return [fmt(row, a), fmt(row, b), times(b, a, row.higherIsBetter)];
      });
      const ours2 = value(row, result(two, 'ours'));
      return (
        `| ${row.metric} | ${cells.join(' | ')} | ` +
        `${times(ours2, value(row, result(two, 'torch')), row.higherIsBetter)} | ` +
        `${times(ours2, value(row, result(two, 'ort')), row.higherIsBetter)} |`
      );
    }),
    '',
    'Cores kept busy (median process CPU seconds per wall second; 2 threads on an idle 2-core machine would ' +
      'read close to 2):',
    '',
    '| measurement | ours 1 | ours 2 | PyTorch 1 | PyTorch 2 | ORT-web 1 | ORT-web 2 |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...[...spec.encoder_batches.map((b) => `encoder_b${b}`), 'greedy_decode', 'train_step'].map(
      (key) =>
        `| ${key} | ${ENGINES.flatMap((e) => [busy(result(one, e), key), busy(result(two, e), key)]).join(' | ')} |`,
    ),
    '',
    `1-minute load average when each run started: ${loads.join(', ')}.`,
    '',
    ...renderInterleaved(interleaved),
  ];
  lines.push(...renderCeiling(ceilings, ceilingErrors));
  return lines;
}

function renderCeiling(ceilings: CeilingResult[], errors: string[]): string[] {
  const plain = ceilings.find((c) => !c.fma);
  const fma = ceilings.find((c) => c.fma);
  const n = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(1));
  const x = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? '–' : `${(a / b).toFixed(2)}×`;
  const row = (label: string, pick: (c: CeilingResult, t: 1 | 2) => number) => {
    const p1 = plain && pick(plain, 1);
    const p2 = plain && pick(plain, 2);
    const f1 = fma && pick(fma, 1);
    const f2 = fma && pick(fma, 2);
    return `| ${label} | ${n(p1)} | ${n(p2)} | ${x(p2, p1)} | ${n(f1)} | ${n(f2)} | ${x(f2, f1)} | ${x(f1, p1)} |`;
  };
  return [
    '## GEMM ceiling at 1 and 2 threads, with and without fused multiply-add',
    '',
    'GFLOP/s (bench/gemm-ceiling.ts): the register-only 128-bit SIMD peak (assembly/peak.ts, one copy per ' +
      'thread side by side, by wall time) and our GEMM on a 1024 × 1024 × 1024 product through tfjs `matMul` ' +
      '(split by the pool at 2 threads). FMA is the relaxed-SIMD build (`f32x4.relaxed_madd`), run here under ' +
      '`node --experimental-wasm-relaxed-simd` (Node 22 and Chromium need no flag).',
    '',
    '| measurement | mul + add, 1 | mul + add, 2 | × | FMA, 1 | FMA, 2 | × | FMA / mul + add at 1 |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    row('SIMD peak (wall)', (c, t) => (t === 1 ? c.peak_t1 : c.peak_t2)),
    row('our GEMM 1024³ (wall)', (c, t) => (t === 1 ? c.gemm_t1.wall : c.gemm_t2.wall)),
    row('our GEMM 1024³ (per CPU second)', (c, t) => (t === 1 ? c.gemm_t1.cpu : c.gemm_t2.cpu)),
    '',
    ...errors.map((e) => `- ${e}`),
    ...(errors.length ? [''] : []),
  ];
}

function renderInterleaved(run: ScalingRun | { error: string } | undefined): string[] {
  if (run === undefined) return [];
  const head = [
    '### Ours, 1 → 2 threads interleaved in one process',
    '',
    'The runs above measure each thread count in its own process, minutes apart; on a shared host whose ' +
      'speed drifts, they compare different moments. Here one process switches `setNumThreads` between 1 and ' +
      '2 before every run (alternating which goes first): the scaling of each round, wall time at 1 / at 2.',
    '',
  ];
  if ('error' in run) return [...head, `- failed: ${run.error}`, ''];
  return [
    ...head,
    `| measurement | median scaling (${run.rounds} rounds) | lowest | highest |`,
    '|---|---:|---:|---:|',
    ...Object.entries(run.scaling).map(
      ([key, v]) => `| ${key} | ${v.median.toFixed(2)}× | ${v.min.toFixed(2)}× | ${v.max.toFixed(2)}× |`,
    ),
    '',
  ];
}
