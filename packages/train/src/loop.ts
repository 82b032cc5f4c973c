/**
 * The training loop over a stream of micro-batches: accumulate, step, log, evaluate, checkpoint,
 * stop on request. Browser-safe and I/O-free: saving, metrics sinks and the held-out evaluation are
 * callbacks, so the CLI writes files and a Web Worker posts messages through the same loop.
 */
import { targetTokenCount, type AnyIdBatch } from './batch';
import type { RunMetrics, TrainMetrics } from './report/metrics';

/** Token counts of one micro-batch (the data path reports them; computed from the batch otherwise). */
export interface BatchStats {
  examples: number;
  /** Non-padding encoder + decoder tokens. */
  tokens: number;
  /** Token slots (encoder + decoder), padding included. */
  slots: number;
}

export interface MicroBatch {
  batch: AnyIdBatch;
  stats?: BatchStats;
}

/** A resumable source of micro-batches. */
export interface BatchStream {
  /** The next micro-batch, or undefined when the data is exhausted. */
  next(): Promise<MicroBatch | undefined> | MicroBatch | undefined;
  /** The position after the last micro-batch returned, as JSON (saved in checkpoints). */
  state(): unknown;
}

/** What the loop needs of a trainer (`Trainer` has it). */
export interface SteppingTrainer {
  /** Optimizer steps taken so far (a resumed trainer starts where its checkpoint was). */
  readonly stepCount: number;
  step(batch: AnyIdBatch | AnyIdBatch[]): Promise<{ loss: number; gradNorm: number; learningRate?: number }>;
}

export interface FitProgress {
  step: number;
  steps: number;
  loss: number;
  examplesSeen: number;
}

export interface FitOptions {
  /** Optimizer steps to reach (a resumed run continues from the trainer's step to this one). */
  steps: number;
  /** Micro-batches per optimizer step (gradient accumulation, token-weighted); default 1. */
  gradAccum?: number;
  /** Examples already consumed before this call (a resume), for the metrics. */
  examplesSeen?: number;
  /** Learning rate of a step, for the metrics, when the trainer's step does not report it. */
  learningRate?: (step: number) => number;
  /** Bytes in use, for the metrics (the WASM heap, or tfjs's tensor bytes). */
  memoryBytes?: () => number;
  /** Every this many steps, the held-out loss (needs `evaluate`); default never. */
  evalEvery?: number;
  evaluate?: () => Promise<{ loss: number; tokens: number }>;
  /** Every this many steps, `save` (and once more at the end and on abort); default only at the end. */
  saveEvery?: number;
  save?: (position: CheckpointPosition) => Promise<void>;
  onMetrics?: (metrics: RunMetrics) => void | Promise<void>;
  onProgress?: (progress: FitProgress) => void;
  /** Aborting stops after the current step, saves, and resolves with `stoppedBy: 'abort'`. */
  signal?: AbortSignal;
  /** Clock in milliseconds (tests pass a fake one). */
  now?: () => number;
}

/** Where the run is: what a checkpoint must record to resume exactly. */
export interface CheckpointPosition {
  step: number;
  examplesSeen: number;
  /** The batch stream's state after the last micro-batch consumed. */
  data: unknown;
}

export interface FitResult {
  step: number;
  examplesSeen: number;
  /** `steps`: reached the target; `data`: the data ran out first; `abort`: the signal fired. */
  stoppedBy: 'steps' | 'data' | 'abort';
  lastLoss: number | undefined;
}

function statsOf(m: MicroBatch): BatchStats {
  if (m.stats !== undefined) return m.stats;
  const b = m.batch;
  let tokens = 0;
  for (const row of b.attention_mask) for (const v of row) tokens += v;
  tokens += targetTokenCount(b);
  const slots = b.input_ids.length * ((b.input_ids[0]?.length ?? 0) + (b.labels[0]?.length ?? 0));
  return { examples: b.input_ids.length, tokens, slots };
}

/**
 * Runs optimizer steps until `steps` is reached, the data runs out, or `signal` aborts. A NaN or
 * infinite loss (the trainer throws) propagates without a save, so the last checkpoint stays the
 * last good one.
 */
export async function fit(
  trainer: SteppingTrainer,
  batches: BatchStream,
  options: FitOptions,
): Promise<FitResult> {
  const accum = options.gradAccum ?? 1;
  if (!Number.isInteger(accum) || accum < 1)
    throw new RangeError(`gradAccum must be an integer ≥ 1, got ${accum}`);
  const now = options.now ?? (() => performance.now());
  let examplesSeen = options.examplesSeen ?? 0;
  let lastLoss: number | undefined;
  let savedAt = -1;
  let evaluatedAt = -1;
  const position = (): CheckpointPosition => ({
    step: trainer.stepCount,
    examplesSeen,
    data: batches.state(),
  });
  const save = async () => {
    if (options.save === undefined || savedAt === trainer.stepCount) return;
    await options.save(position());
    savedAt = trainer.stepCount;
  };
  const evaluate = async () => {
    if (options.evaluate === undefined || evaluatedAt === trainer.stepCount) return;
    evaluatedAt = trainer.stepCount;
    const { loss, tokens } = await options.evaluate();
    await options.onMetrics?.({
      kind: 'eval',
      step: trainer.stepCount,
      eval_loss: loss,
      eval_tokens: tokens,
    });
  };

  // The held-out loss before the first step: the baseline the run's curve starts from.
  if (options.evalEvery !== undefined && trainer.stepCount === 0) await evaluate();
  let stoppedBy: FitResult['stoppedBy'] = 'steps';
  while (trainer.stepCount < options.steps) {
    if (options.signal?.aborted) {
      stoppedBy = 'abort';
      break;
    }
    // The micro-batches are drawn before the step: a checkpoint after it records the position after them.
    const micro: MicroBatch[] = [];
    for (let i = 0; i < accum; i++) {
      const m = await batches.next();
      if (m === undefined) break;
      micro.push(m);
    }
    if (micro.length < accum) {
      stoppedBy = 'data';
      break;
    }
    const started = now();
    const { loss, gradNorm, learningRate } = await trainer.step(
      micro.length === 1 ? micro[0]!.batch : micro.map((m) => m.batch),
    );
    const seconds = Math.max((now() - started) / 1000, 1e-9);
    const stats = micro.map(statsOf);
    const examples = stats.reduce((a, s) => a + s.examples, 0);
    const tokens = stats.reduce((a, s) => a + s.tokens, 0);
    const slots = stats.reduce((a, s) => a + s.slots, 0);
    const targets = micro.reduce((a, m) => a + targetTokenCount(m.batch), 0);
    examplesSeen += examples;
    lastLoss = loss;
    const step = trainer.stepCount;
    const metrics: TrainMetrics = {
      kind: 'train',
      step,
      loss,
      learning_rate: learningRate ?? options.learningRate?.(step) ?? Number.NaN,
      grad_norm: gradNorm,
      target_tokens_per_second: targets / seconds,
      tokens_per_second: tokens / seconds,
      examples_seen: examplesSeen,
      padding_fraction: slots === 0 ? 0 : 1 - tokens / slots,
      memory_bytes: options.memoryBytes?.() ?? 0,
      seconds,
    };
    await options.onMetrics?.(metrics);
    options.onProgress?.({ step, steps: options.steps, loss, examplesSeen });
    if (options.evalEvery !== undefined && step % options.evalEvery === 0) await evaluate();
    if (options.saveEvery !== undefined && step % options.saveEvery === 0) await save();
  }
  if (options.evalEvery !== undefined && stoppedBy !== 'abort') await evaluate();
  await save();
  return { step: trainer.stepCount, examplesSeen, stoppedBy, lastLoss };
}
