/**
 * One optimizer step at a time for a `T5Model` or a decoder-only `CausalLMModel`: loss and gradients
 * (models' `computeGradients` / `computeCausalGradients`),
 * token-weighted gradient accumulation over micro-batches, a finiteness check, global-norm clipping,
 * the learning-rate schedule and an in-place, per-parameter optimizer update.
 *
 * The LoRA seam: by default the trainable variables are the model's parameters (minus `frozen`).
 * An adapter instead passes its own variables as `trainable` (attached to the model so the forward
 * pass uses them, e.g. with `T5Model.setLora`); gradients are then taken with respect to those
 * variables only (`computeGradients(…, { variables })`), and optimizer state exists only for them.
 * `gradients` replaces the loss-and-gradient computation entirely (any model, any loss).
 */
import {
  denseProductsUseTransposedCopies,
  type GradientOptions,
  type LossAndGradients,
} from '@flan-ts/models';
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
import {
  clipCoefficient,
  createOptimizer,
  createSchedule,
  globalNorm,
  type Optimizer,
  type OptimizerConfig,
  type OptimizerState,
  type Schedule,
  type ScheduleConfig,
} from './optim/index';
import { lossAndGradients, type TrainableModel } from './model';
import { batchTensors, countLossTokens, type StepBatch, type TensorBatch } from './trainer-batch';
import { TrainingError } from './training-error';

/** Computes the mean loss and the gradients of `options.variables` for one (micro-)batch. */
// A method signature (bivariant in its parameter), so a function written for one architecture's batch
// type fits: it receives the batches given to `step`.
export type GradientsFn = {
  gradients(batch: TensorBatch, options: GradientOptions): LossAndGradients;
}['gradients'];

export interface TrainerOptions {
  /** The optimizer (`name`: `adafactor` = Hugging Face's, `adafactor-t5x`, `adamw`). */
  optimizer: OptimizerConfig;
  /** Global-norm clipping as torch's `clip_grad_norm_(params, clipNorm)`; default none. */
  clipNorm?: number;
  /** Multiplier of the optimizer's base learning rate per step (default constant, the paper's). */
  schedule?: Schedule | ScheduleConfig;
  /**
   * Parameters that are not trained, by exact HF name or by a pattern, e.g. `/^shared\.weight$/` for
   * the embeddings (in a tied model that freezes the LM head too: they are one tensor).
   */
  frozen?: readonly string[] | RegExp;
  /** Label smoothing ε of the loss (HF semantics); default 0. */
  labelSmoothing?: number;
  /** t5x's z-loss coefficient (t5x uses 1e-4); default 0. */
  zLoss?: number;
  /** Recompute activations per sublayer in the backward pass (less memory, ~⅓ more compute). */
  recompute?: boolean;
  /**
   * Train mode: dropout at the model config's `dropoutRate` (default true, as HF's Trainer). Set
   * false for deterministic evaluation-mode steps (the fixtures' setting).
   */
  training?: boolean;
  /** Base seed of the dropout masks; each step and micro-batch derives its own from it (default 0). */
  seed?: number;
  /**
   * The variables to train instead of the model's parameters, by name (a LoRA adapter's tensors).
   * `frozen` still applies to these names.
   */
  trainable?: ReadonlyMap<string, Variable>;
  /** Replaces `computeGradients(model, batch, options)`; it must return gradients keyed by trainable name. */
  gradients?: GradientsFn;
}

/** What one step reports (plain numbers). */
export interface StepResult {
  /** The (token-weighted) mean loss before the update. */
  loss: number;
  /** The global gradient norm before clipping. */
  gradNorm: number;
  /** The learning rate this update used. */
  learningRate: number;
  /** Target tokens (labels ≠ -100) over all micro-batches. */
  targetTokens: number;
  /** The 1-based number of this step. */
  step: number;
}

export class Trainer {
  private readonly optimizer: Optimizer;
  private readonly schedule: Schedule;
  private readonly trainable: ReadonlyMap<string, Variable>;
  private readonly lossOptions: GradientOptions;
  private disposed = false;

  constructor(
    readonly model: TrainableModel,
    private readonly options: TrainerOptions,
  ) {
    if (options.clipNorm !== undefined && !(options.clipNorm > 0 && Number.isFinite(options.clipNorm)))
      throw new RangeError(`Trainer: clipNorm must be a finite number > 0, got ${options.clipNorm}`);
    this.trainable = selectTrainable(options.trainable ?? model.parameters(), options.frozen);
    if (this.trainable.size === 0) throw new RangeError('Trainer: every parameter is frozen');
    this.schedule =
      options.schedule === undefined
        ? () => 1
        : typeof options.schedule === 'function'
          ? options.schedule
          : createSchedule(options.schedule);
    this.lossOptions = {
      labelSmoothing: options.labelSmoothing ?? 0,
      zLoss: options.zLoss ?? 0,
      recompute: options.recompute ?? false,
      training: options.training ?? true,
    };
    this.optimizer = createOptimizer(options.optimizer, this.trainable);
    // On wasm, training steps do not read the decoding copies of the weights, which go stale with
    // each update: free them (they are rebuilt when the model next decodes).
    if (!denseProductsUseTransposedCopies())
      (model as { releaseTransposedCopies?: () => void }).releaseTransposedCopies?.();
  }

  /** Optimizer updates applied so far. */
  get stepCount(): number {
    return this.optimizer.stepCount;
  }

  /** Names of the variables that are trained. */
  get trainableNames(): string[] {
    return [...this.trainable.keys()];
  }

  /** The learning rate the next step will use. */
  get learningRate(): number {
    return this.optimizer.learningRate * this.schedule(this.stepCount);
  }

  /**
   * Runs one optimizer step. `batch` is a batch (tensors stay the caller's; id arrays are converted
   * and freed here) or an array of micro-batches, whose gradients and losses are combined weighted
   * by their target tokens, `Σ nᵢ·gᵢ / Σ nᵢ`, so the result equals one step on their union.
   *
   * @throws TrainingError when the loss or the gradient norm is not finite, or there are no target
   *   tokens; the weights, optimizer state and `stepCount` are then unchanged.
   */
  async step(batch: StepBatch | readonly StepBatch[]): Promise<StepResult> {
    this.assertAlive();
    const step = this.stepCount + 1;
    const micro: readonly StepBatch[] = Array.isArray(batch) ? batch : [batch as StepBatch];
    if (micro.length === 0) throw new RangeError('Trainer.step: no batches');
    const counts = await Promise.all(micro.map((b) => countLossTokens(b)));
    const total = counts.reduce((a, b) => a + b, 0);
    if (total === 0)
      throw new TrainingError(
        'the batch has no target tokens (every label is -100)',
        step,
        'no-target-tokens',
      );

    let loss: Scalar | undefined;
    let grads = new Map<string, Tensor>();
    let norm: Scalar | undefined;
    const releases: (() => void)[] = [];
    try {
      for (const [i, b] of micro.entries()) {
        const part = this.lossAndGradients(b, step, i, releases);
        const weight = counts[i]! / total;
        if (micro.length === 1) {
          ({ loss, grads } = part);
          continue;
        }
        // Accumulate nᵢ/N · (loss, grads): one running sum, so only one extra gradient copy lives.
        const prevLoss = loss;
        loss = tf.tidy(
          () =>
            (prevLoss ? tf.add(prevLoss, tf.mul(part.loss, weight)) : tf.mul(part.loss, weight)) as Scalar,
        );
        prevLoss?.dispose();
        part.loss.dispose();
        for (const [name, g] of part.grads) {
          const prev = grads.get(name);
          grads.set(
            name,
            tf.tidy(() => (prev ? tf.add(prev, tf.mul(g, weight)) : tf.mul(g, weight))),
          );
          prev?.dispose();
          g.dispose();
        }
      }
      for (const name of grads.keys()) {
        if (!this.trainable.has(name))
          throw new RangeError(`Trainer: a gradient for ${JSON.stringify(name)}, which is not trainable`);
      }
      norm = globalNorm(grads.values());
      // One read for both numbers: the finiteness check must finish before anything is updated.
      const values = await readAndDispose(tf.stack([loss!, norm!]));
      const lossValue = values[0]!;
      const gradNorm = values[1]!;
      if (!Number.isFinite(lossValue))
        throw new TrainingError(
          `the loss is ${lossValue}; the weights were not updated`,
          step,
          'non-finite-loss',
          lossValue,
        );
      if (!Number.isFinite(gradNorm))
        throw new TrainingError(
          `the gradient norm is ${gradNorm}; the weights were not updated`,
          step,
          'non-finite-gradient',
          gradNorm,
        );
      const learningRate = this.learningRate;
      const gradScale =
        this.options.clipNorm === undefined ? 1 : clipCoefficient(gradNorm, this.options.clipNorm);
      this.optimizer.update(grads, { learningRate, gradScale });
      return { loss: lossValue, gradNorm, learningRate, targetTokens: total, step };
    } finally {
      tf.dispose([...(loss ? [loss] : []), ...(norm ? [norm] : []), ...grads.values()]);
      for (const release of releases) release();
    }
  }

  /** The optimizer's live state (step and tensors by `<parameter>/<slot>`), for a checkpoint. Do not dispose. */
  optimizerState(): OptimizerState {
    this.assertAlive();
    return this.optimizer.state();
  }

  /** Restores a checkpoint's optimizer state (copied; keys and shapes must match), step count included. */
  loadOptimizerState(state: OptimizerState): void {
    this.assertAlive();
    this.optimizer.loadState(state);
  }

  /** Frees the optimizer state (the model and its weights stay). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.optimizer.dispose();
  }

  /**
   * `release` frees the batch tensors made here. The caller runs it only after reading the results:
   * WebGPU encodes kernels lazily, and inputs freed before the queue is submitted read back as zeros.
   */
  private lossAndGradients(
    batch: StepBatch,
    step: number,
    micro: number,
    releases: (() => void)[],
  ): LossAndGradients {
    const { tensors, release } = batchTensors(batch);
    releases.push(release);
    {
      const options: GradientOptions = {
        ...this.lossOptions,
        // A fixed seed per (step, micro-batch): a resumed run draws the same dropout masks.
        seed: dropoutSeed(this.options.seed ?? 0, step, micro),
      };
      if (this.options.gradients)
        return this.options.gradients(tensors, { ...options, variables: this.trainable });
      if (this.options.trainable)
        return lossAndGradients(this.model, tensors, { ...options, variables: this.trainable });
      return lossAndGradients(this.model, tensors, { ...options, parameters: [...this.trainable.keys()] });
    }
  }

  private assertAlive(): void {
    if (this.disposed) throw new Error('Trainer: disposed');
  }
}

/** The variables that are not frozen; every frozen name must exist (typos fail loudly). */
function selectTrainable(
  all: ReadonlyMap<string, Variable>,
  frozen: readonly string[] | RegExp | undefined,
): ReadonlyMap<string, Variable> {
  if (frozen === undefined) return all;
  if (frozen instanceof RegExp) {
    const re = new RegExp(frozen.source, frozen.flags.replace('g', ''));
    return new Map([...all].filter(([name]) => !re.test(name)));
  }
  const unknown = frozen.filter((name) => !all.has(name));
  if (unknown.length > 0)
    throw new RangeError(`Trainer: frozen names that are not parameters: ${JSON.stringify(unknown)}`);
  const set = new Set(frozen);
  return new Map([...all].filter(([name]) => !set.has(name)));
}

/** A dropout seed in [0, 2²⁰) from the run seed, the step and the micro-batch. */
function dropoutSeed(seed: number, step: number, micro: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const x of [step, micro]) h = (Math.imul(h ^ x, 0x85ebca6b) + 0x27d4eb2f) >>> 0;
  return h % (1 << 20);
}

async function readAndDispose(t: Tensor): Promise<Float32Array> {
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}
