/**
 * The contract every optimizer of this package keeps: it owns per-parameter state tensors (keyed by
 * Hugging Face parameter name), updates the model's `tf.Variable`s in place one parameter at a time,
 * and exposes its state for checkpoints.
 */
import type { Tensor } from '@tensorflow/tfjs-core';

/** Optimizer state for a checkpoint: the update count and the state tensors by stable key. */
export interface OptimizerState {
  /** Updates applied so far (0 before the first). */
  step: number;
  /**
   * State tensors keyed `<parameter>/<slot>`, e.g. `encoder.block.0.layer.0.SelfAttention.q.weight/exp_avg_sq_row`.
   * The slot names are the reference implementations' (`exp_avg`, `exp_avg_sq`, `exp_avg_sq_row`,
   * `exp_avg_sq_col` for Hugging Face / torch; `v`, `v_row`, `v_col` for t5x).
   */
  tensors: ReadonlyMap<string, Tensor>;
}

/** Per-update inputs the trainer supplies (the schedule and the global-norm clipping). */
export interface UpdateOptions {
  /** Learning rate of this update (default: the optimizer's base `learningRate`). */
  learningRate?: number;
  /** Every gradient is multiplied by this first (global-norm clipping's coefficient; default 1). */
  gradScale?: number;
}

export interface Optimizer {
  /** The configuration with every default filled in. */
  readonly config: Readonly<Record<string, unknown>> & { readonly name: string };
  /** The base learning rate a schedule multiplies. */
  readonly learningRate: number;
  /** Updates applied so far. */
  readonly stepCount: number;
  /**
   * Applies one update to every parameter named in `grads` (each must be one of the parameters the
   * optimizer was made for). The caller keeps ownership of the gradients. Each parameter is updated
   * inside its own `tf.tidy`, so at most one parameter's temporaries are alive at a time.
   */
  update(grads: ReadonlyMap<string, Tensor>, options?: UpdateOptions): void;
  /**
   * The live state: the returned tensors belong to the optimizer and keep their identity across
   * updates (they are variables assigned in place). Read them; do not dispose them.
   */
  state(): OptimizerState;
  /** Copies a saved state in (keys and shapes must match this optimizer's exactly). The caller keeps `state`. */
  loadState(state: OptimizerState): void;
  /** Frees every state tensor. */
  dispose(): void;
}
