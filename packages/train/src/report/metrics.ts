/** The metrics a run reports: one record per logging step (a JSONL line of `--metrics`), browser-safe. */

export interface TrainMetrics {
  kind: 'train';
  step: number;
  /** Mean token loss of the step (before the update), token-weighted over accumulated micro-batches. */
  loss: number;
  learning_rate: number;
  /** Global gradient norm before clipping. */
  grad_norm: number;
  /** Target (loss) tokens per second of this step, and all non-padding tokens per second. */
  target_tokens_per_second: number;
  tokens_per_second: number;
  examples_seen: number;
  /** Fraction of the step's token slots (encoder + decoder) that were padding. */
  padding_fraction: number;
  /** Bytes in use: the WASM heap on wasm, tfjs's tensor bytes elsewhere. */
  memory_bytes: number;
  /** Wall seconds of the step. */
  seconds: number;
}

export interface EvalMetrics {
  kind: 'eval';
  step: number;
  /** Token-weighted mean loss over the held-out data. */
  eval_loss: number;
  eval_tokens: number;
}

export type RunMetrics = TrainMetrics | EvalMetrics;
