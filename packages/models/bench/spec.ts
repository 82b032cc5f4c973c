/**
 * What the harness (run.ts) hands every engine, and what each engine hands back. Engines run in their
 * own processes, so their peak memory is theirs alone; the spec and the results travel as JSON.
 */

export interface BenchSpec {
  /** Hugging Face `config.json` of the benchmark model. */
  config: string;
  /** `model.safetensors` with the random weights every engine loads. */
  weights: string;
  /** Folder with encoder.onnx, decoder.onnx, decoder_with_past.onnx (ORT-web only). */
  onnxDir: string;
  inputs: {
    /** [maxBatch, srcLen] ids, no padding. */
    input_ids: number[][];
    /** [maxBatch, tgtLen]: labels shifted right after the start token 0. */
    decoder_input_ids: number[][];
    /** [maxBatch, tgtLen]. */
    labels: number[][];
  };
  warmup: number;
  repeats: number;
  encoder_batches: number[];
  /** Greedy steps after the start token at batch 1, with no stop at eos. */
  decode_new_tokens: number;
  train_batch: number;
  train_warmup: number;
  train_repeats: number;
}

/**
 * Seconds per timed run, after warm-up: wall-clock, and CPU time of the whole process. Every engine
 * runs one compute thread, so on an idle core the two agree; on a shared, oversubscribed machine the
 * CPU time is the steadier measure of the engine itself.
 */
export interface Timing {
  wall_s: number[];
  cpu_s: number[];
}

/** What an engine measured, plus what it knows about memory. */
export interface EngineResult {
  engine: string;
  /** By measurement: `encoder_b{batch}` for each of `encoder_batches`, `greedy_decode`, `train_step`. */
  timings: Record<string, Timing>;
  /** Sum of the batch-1 encoder output: engines on the same weights must agree. */
  encoder_checksum?: number;
  /** The greedy tokens at batch 1: engines on the same weights should agree. */
  greedy_tokens?: number[];
  train_batch?: number;
  train_loss?: number;
  /** Why the training step was not measured at `train_batch` (e.g. out of memory). */
  train_error?: string;
  peak_rss_bytes?: number;
  /** Ours only: the WebAssembly heap after the training step (it only grows, so it is the peak). */
  peak_wasm_heap_bytes?: number;
  /** Ours only: peak bytes held by tfjs tensors during the training step. */
  peak_tensor_bytes?: number;
  /** Ours only: the measured ceiling of 128-bit WASM SIMD float32 arithmetic on this machine (bench/simd-peak.ts). */
  simd128_peak_gflops?: number;
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** Runs `fn` `warmup` times untimed, then `repeats` times, timing each. */
export async function timed(fn: () => unknown, warmup: number, repeats: number): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const timing: Timing = { wall_s: [], cpu_s: [] };
  for (let i = 0; i < repeats; i++) {
    const wall = performance.now();
    const cpu = cpuSeconds();
    await fn();
    timing.cpu_s.push(cpuSeconds() - cpu);
    timing.wall_s.push((performance.now() - wall) / 1000);
  }
  return timing;
}

export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/**
 * The environment of an engine process at `threads` compute threads. Debian's torch runs its matmuls
 * in the system OpenBLAS, whose pthreads then compete with torch's OpenMP threads, which spin while
 * they wait by default: measured here on a 1024 × 512 × 2048 product at 2 threads, 138 GFLOP/s with
 * the default wait policy against 185 passive (92 on 1 thread). Passive waiting gives PyTorch its
 * best `torch.set_num_threads(n)` figure; the other engines do not read these variables.
 */
export function threadEnv(threads: number): Record<string, string> {
  return {
    OMP_NUM_THREADS: String(threads),
    OPENBLAS_NUM_THREADS: String(threads),
    OMP_WAIT_POLICY: 'PASSIVE',
    FLAN_THREADS: String(threads),
  };
}
