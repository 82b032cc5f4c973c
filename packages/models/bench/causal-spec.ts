/**
 * What bench/causal.ts hands every engine of the decoder-only benchmark, and what each engine hands
 * back (one JSON line). Each engine and phase runs in its own process, so its peak memory is its own.
 */
import type { Timing } from './spec';

export interface CausalSpec {
  /** config.json + model.safetensors (HF layout) of the benchmark model: every engine loads it. */
  modelDir: string;
  /** The graph peers/causal_export_onnx.py exported from the PyTorch peer (ORT-web only). */
  onnxFile: string;
  /** Compute threads of each engine (ours: the wasm kernels; PyTorch: intra-op; ORT-web: numThreads). */
  threads: number;
  /** The prefill prompt, batch 1. */
  promptIds: number[];
  /** Greedy steps with the cache after the prefill's token (no stop at eos). */
  decodeSteps: number;
  warmup: number;
  repeats: number;
  /** The training batch `[batch, len]`; each row's tokens are its labels (HF `labels=input_ids`). */
  trainIds: number[][];
  trainWarmup: number;
  trainRepeats: number;
  /** A PEFT adapter file (`base_model.model.{module}.lora_{A,B}.weight`) on these modules. */
  lora: { file: string; r: number; alpha: number; modules: string[] };
}

export const PROMPT_LEN = 256;
export const DECODE_STEPS = 32;
export const TRAIN_BATCH = 8;
export const TRAIN_LEN = 256;
/** PEFT's LoraConfig defaults (r 8, lora_alpha 8) on its Llama target modules. */
export const LORA = { r: 8, alpha: 8, targets: ['q_proj', 'v_proj'] };

export type TrainMode = 'full' | 'lora';

export interface CausalResult {
  engine: string;
  prefill?: Timing;
  /** `decodeSteps` cached greedy steps after the prefill. */
  decode?: Timing;
  /** The 5 largest logits of the prefill's last position, largest first: engines must agree. */
  prefill_top5?: { ids: number[]; logits: number[] };
  /** The prefill's argmax followed by the `decodeSteps` decoded tokens. */
  greedy_tokens?: number[];
  train?: Timing;
  train_batch?: number;
  /** Ours: whether the step recomputed activations (activation checkpointing) to fit the wasm heap. */
  train_recompute?: boolean;
  train_loss?: number;
  trainable_parameters?: number;
  /** Why the training step was not measured as asked (e.g. out of memory at a batch size). */
  train_error?: string;
  peak_rss_bytes?: number;
  /** Ours: the WebAssembly heap at the end (it only grows, so it is the peak). */
  peak_wasm_heap_bytes?: number;
}

/** One engine process's result, or why it gave none. */
export type Run = { value?: CausalResult; error?: string };
