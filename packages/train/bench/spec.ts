/**
 * What the harness (run.ts) hands each engine process, and what comes back. Both engines read the
 * same model files and the same batches (plain id arrays), so their losses must agree at step 1.
 */
import type { IdBatch } from '../src/batch';

/** One measurement, run by each engine in a process of its own (so its peak memory is its own). */
export interface TrainCase {
  /** e.g. `full-padded`, `full-packed`, `full-accum64`, `lora-small`, `lora-base`. */
  name: string;
  /** `config.json` and `model.safetensors` of the (random) model. */
  config: string;
  weights: string;
  /** LoRA r and alpha on q and v; absent = full finetuning. */
  lora?: { r: number; alpha: number; targetModules: string[] };
  /** One optimizer step per entry; each step is a list of micro-batches (accumulated, token-weighted). */
  steps: IdBatch[][];
  /** Leading steps not timed (the first touch of new heap pages and V8's tier-up dominate a cold step). */
  warmup: number;
  learningRate: number;
}

/** Seconds of one timed optimizer step, split as the engine measured it. */
export interface StepTiming {
  /** Wall-clock of the whole step. */
  step_s: number;
  forward_s: number;
  backward_s: number;
  optimizer_s: number;
  /** CPU time of the whole process over the step. */
  cpu_s: number;
}

export interface CaseResult {
  engine: string;
  case: string;
  /** Loss before the update at each step (warm-up included). */
  losses: number[];
  /** Timed steps only. */
  timings: StepTiming[];
  /** Non-padding tokens (encoder tokens with attention_mask 1 + labels ≠ -100) of each timed step. */
  useful_tokens: number[];
  /** Tokens in the padded shapes of each timed step. */
  shape_tokens: number[];
  peak_rss_bytes?: number;
  /** Ours: the wasm heap at the end (it only grows: the peak). */
  peak_wasm_heap_bytes?: number;
  /** Ours: whether activations were recomputed per sublayer to fit the heap. */
  recompute?: boolean;
  trainable_parameters?: number;
  error?: string;
}

/** Non-padding tokens and padded-shape tokens of one optimizer step. */
export function stepTokens(micro: readonly IdBatch[]): { useful: number; shape: number } {
  let useful = 0;
  let shape = 0;
  for (const b of micro) {
    for (const row of b.attention_mask) for (const m of row) useful += m;
    for (const row of b.labels) for (const l of row) if (l !== -100) useful++;
    shape += b.input_ids.length * (b.input_ids[0]!.length + b.labels[0]!.length);
  }
  return { useful, shape };
}
