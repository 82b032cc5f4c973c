/**
 * Learning-rate schedules as multipliers of the optimizer's base learning rate, the way torch's
 * `LambdaLR` (and so Hugging Face's `get_*_schedule_with_warmup`) and t5x's factor schedules compose:
 * `lr(step) = learningRate · schedule(step)`, where `step` counts the updates already taken (0 for the
 * first update, as both HF and t5x count).
 */

/** `(step) => multiplier` of the base learning rate; `step` = updates already taken (0-based). */
export type Schedule = (step: number) => number;

/** Schedules by name, for configuration files and the CLI. */
export type ScheduleConfig =
  | { name: 'constant' }
  | { name: 'linear-warmup'; warmupSteps: number }
  | { name: 'linear'; warmupSteps?: number; totalSteps: number }
  | { name: 'cosine'; warmupSteps?: number; totalSteps: number; cycles?: number }
  | { name: 'rsqrt'; warmupSteps?: number };

function checkSteps(name: string, value: number, positive = false): number {
  if (!Number.isInteger(value) || value < (positive ? 1 : 0))
    throw new RangeError(`${name} must be an integer ≥ ${positive ? 1 : 0}, got ${value}`);
  return value;
}

/** The paper's constant learning rate (Flan-T5 finetuning: Adafactor at a constant 1e-3). */
export function constantSchedule(): Schedule {
  return () => 1;
}

/** HF `get_constant_schedule_with_warmup`: `step / warmupSteps` while warming up (0 at the first update), then 1. */
export function linearWarmupSchedule(warmupSteps: number): Schedule {
  checkSteps('warmupSteps', warmupSteps);
  return (step) => (step < warmupSteps ? step / Math.max(1, warmupSteps) : 1);
}

/** HF `get_linear_schedule_with_warmup`: warmup, then linear decay to 0 at `totalSteps`. */
export function linearDecaySchedule(totalSteps: number, warmupSteps = 0): Schedule {
  checkSteps('totalSteps', totalSteps, true);
  checkSteps('warmupSteps', warmupSteps);
  return (step) => {
    if (step < warmupSteps) return step / Math.max(1, warmupSteps);
    return Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
  };
}

/** HF `get_cosine_schedule_with_warmup`: warmup, then `0.5·(1 + cos(π·2·cycles·progress))` (default half a cycle). */
export function cosineSchedule(totalSteps: number, warmupSteps = 0, cycles = 0.5): Schedule {
  checkSteps('totalSteps', totalSteps, true);
  checkSteps('warmupSteps', warmupSteps);
  return (step) => {
    if (step < warmupSteps) return step / Math.max(1, warmupSteps);
    const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
    return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * cycles * 2 * progress)));
  };
}

/**
 * t5x's `rsqrt_decay` factor: `1/√max(step, warmupSteps)` (T5 pretraining: base rate 1.0 and 10⁴
 * warmup steps, i.e. a constant 0.01 for the first 10⁴ steps, then inverse square root decay).
 */
export function rsqrtSchedule(warmupSteps = 10_000): Schedule {
  checkSteps('warmupSteps', warmupSteps, true);
  return (step) => 1 / Math.sqrt(Math.max(step, warmupSteps));
}

/** A schedule from its configuration. */
export function createSchedule(config: ScheduleConfig): Schedule {
  switch (config.name) {
    case 'constant':
      return constantSchedule();
    case 'linear-warmup':
      return linearWarmupSchedule(config.warmupSteps);
    case 'linear':
      return linearDecaySchedule(config.totalSteps, config.warmupSteps ?? 0);
    case 'cosine':
      return cosineSchedule(config.totalSteps, config.warmupSteps ?? 0, config.cycles ?? 0.5);
    case 'rsqrt':
      return rsqrtSchedule(config.warmupSteps ?? 10_000);
    default:
      throw new RangeError(`unknown schedule ${JSON.stringify((config as { name: unknown }).name)}`);
  }
}
