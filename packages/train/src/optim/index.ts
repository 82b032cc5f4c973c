/** Optimizers (per-parameter, in-place), schedules and global-norm clipping. */
import type { Variable } from '@tensorflow/tfjs-core';
import { Adafactor, type AdafactorConfig } from './adafactor';
import { AdafactorT5x, type AdafactorT5xConfig } from './adafactor-t5x';
import { AdamW, type AdamWConfig } from './adamw';
import type { Optimizer } from './types';

export type { Optimizer, OptimizerState, UpdateOptions } from './types';
export { OptimizerStateError } from './state';
export {
  Adafactor,
  resolveAdafactorConfig,
  type AdafactorConfig,
  type ResolvedAdafactorConfig,
} from './adafactor';
export {
  AdafactorT5x,
  resolveAdafactorT5xConfig,
  t5xDecayRate,
  t5xFactoredDims,
  type AdafactorT5xConfig,
  type ResolvedAdafactorT5xConfig,
} from './adafactor-t5x';
export { AdamW, resolveAdamWConfig, type AdamWConfig, type ResolvedAdamWConfig } from './adamw';
export {
  constantSchedule,
  linearWarmupSchedule,
  linearDecaySchedule,
  cosineSchedule,
  rsqrtSchedule,
  createSchedule,
  type Schedule,
  type ScheduleConfig,
} from './schedule';
export { globalNorm, clipCoefficient } from './clip';

/** Any optimizer configuration (`name` selects the algorithm). */
export type OptimizerConfig = AdafactorConfig | AdafactorT5xConfig | AdamWConfig;

/**
 * An optimizer for `params` (by HF name), with its state allocated now.
 *
 * @example
 * ```ts
 * const opt = createOptimizer({ name: 'adafactor-t5x', learningRate: 1e-3 }, model.parameters());
 * ```
 */
export function createOptimizer(config: OptimizerConfig, params: ReadonlyMap<string, Variable>): Optimizer {
  switch (config.name) {
    case 'adafactor':
      return new Adafactor(config, params);
    case 'adafactor-t5x':
      return new AdafactorT5x(config, params);
    case 'adamw':
      return new AdamW(config, params);
    default:
      throw new RangeError(
        `unknown optimizer ${JSON.stringify((config as { name: unknown }).name)} (adafactor, adafactor-t5x, adamw)`,
      );
  }
}
