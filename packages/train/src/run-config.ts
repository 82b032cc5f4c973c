/**
 * The settings of a training run (what `flan train` flags set), with defaults, validation that
 * names the bad setting, and the subset that must not change across a resume.
 */
import type { LoraConfig } from './lora/config';

export type OptimizerName = 'adafactor' | 'adafactor-t5x' | 'adamw';
export type ScheduleName = 'constant' | 'linear' | 'cosine' | 'rsqrt';

export interface RunConfig {
  /** Model directory, URL or hub id. */
  model: string;
  /** A mixture config (`@flan-ts/templates`), or a JSONL file of examples: exactly one. */
  mixture?: string;
  data?: string;
  out: string;
  steps: number;
  batchSize: number;
  gradAccum: number;
  inputLength: number;
  targetLength: number;
  pack: boolean;
  optimizer: OptimizerName;
  learningRate: number;
  schedule: ScheduleName;
  warmup: number;
  weightDecay: number;
  /** Global-norm clipping threshold; 0 turns clipping off. */
  clipNorm: number;
  /** Dropout rate; undefined keeps the config's. */
  dropout?: number;
  /** LoRA instead of full finetuning; `targetModules` absent: PEFT's default for the architecture. */
  lora?: Pick<LoraConfig, 'r' | 'alpha' | 'dropout'> & { targetModules?: string[] };
  /** Recompute each sublayer's activations in the backward pass (less memory, about a third more compute). */
  recompute?: boolean;
  /**
   * Decoder-only models: examples become conversations rendered by the model's chat template
   * (`tokenizer_config.json`), the loss on the assistant's reply; also needed for `{messages}` lines.
   */
  chatTemplate?: boolean;
  evalData?: string;
  evalEvery?: number;
  saveEvery?: number;
  keep: number;
  seed: number;
  backend: 'wasm' | 'cpu' | 'webgpu';
  metrics?: string;
  exportHf?: string;
}

export const RUN_DEFAULTS = {
  steps: 100,
  batchSize: 8,
  gradAccum: 1,
  inputLength: 512,
  targetLength: 128,
  pack: false,
  optimizer: 'adafactor-t5x',
  learningRate: 1e-3,
  schedule: 'constant',
  warmup: 0,
  weightDecay: 0,
  clipNorm: 0,
  keep: 3,
  seed: 0,
  backend: 'wasm',
} as const satisfies Partial<RunConfig>;

/** Settings a resumed run may change: how far it runs, how often it logs and saves, where metrics go. */
export const RESUMABLE_CHANGES: readonly (keyof RunConfig)[] = [
  'steps',
  'saveEvery',
  'keep',
  'evalEvery',
  'evalData',
  'metrics',
  'exportHf',
  'backend',
];

export class RunConfigError extends Error {
  constructor(
    message: string,
    readonly setting: string,
  ) {
    super(`${setting}: ${message}`);
    this.name = 'RunConfigError';
  }
}

/** Checks a run's settings; errors name the CLI flag. */
export function validateRunConfig(c: RunConfig): RunConfig {
  const positiveInt = (v: number | undefined, flag: string) => {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) {
      throw new RunConfigError(`must be a positive integer, got ${v}`, flag);
    }
  };
  if ((c.mixture === undefined) === (c.data === undefined)) {
    throw new RunConfigError('give exactly one of --mixture and --data', c.mixture ? '--data' : '--mixture');
  }
  positiveInt(c.steps, '--steps');
  positiveInt(c.batchSize, '--batch-size');
  positiveInt(c.gradAccum, '--grad-accum');
  positiveInt(c.inputLength, '--input-length');
  positiveInt(c.targetLength, '--target-length');
  positiveInt(c.evalEvery, '--eval-every');
  positiveInt(c.saveEvery, '--save-every');
  positiveInt(c.keep, '--keep');
  if (!(c.learningRate > 0) || !Number.isFinite(c.learningRate)) {
    throw new RunConfigError(`must be a positive number, got ${c.learningRate}`, '--lr');
  }
  if (!Number.isInteger(c.warmup) || c.warmup < 0)
    throw new RunConfigError(`must be an integer ≥ 0, got ${c.warmup}`, '--warmup');
  if (!(c.weightDecay >= 0)) throw new RunConfigError(`must be ≥ 0, got ${c.weightDecay}`, '--weight-decay');
  if (!(c.clipNorm >= 0)) throw new RunConfigError(`must be ≥ 0, got ${c.clipNorm}`, '--clip-norm');
  if (c.dropout !== undefined && !(c.dropout >= 0 && c.dropout < 1)) {
    throw new RunConfigError(`must be in [0, 1), got ${c.dropout}`, '--dropout');
  }
  if (c.evalEvery !== undefined && c.evalData === undefined) {
    throw new RunConfigError('needs --eval-data', '--eval-every');
  }
  if (!Number.isInteger(c.seed) || c.seed < 0)
    throw new RunConfigError(`must be an integer ≥ 0, got ${c.seed}`, '--seed');
  return c;
}

/**
 * `--lora r=8,alpha=16,targets=q,v,dropout=0.05`: PEFT's names (`lora_alpha` and
 * `target_modules` also accepted); targets run to the next `key=`.
 */
export function parseLoraFlag(text: string): NonNullable<RunConfig['lora']> {
  const out: { r: number; alpha: number; dropout: number; targetModules?: string[] } = {
    r: 8,
    alpha: 16,
    dropout: 0,
  };
  if (text.trim() === '' || text === 'true') return out;
  let key: string | undefined;
  let targetsSeen = false;
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) {
      if (key !== 'targets') throw new RunConfigError(`"${part}" is not key=value`, '--lora');
      out.targetModules!.push(part.trim());
      continue;
    }
    key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    const num = () => {
      const n = Number(value);
      if (value === '' || !Number.isFinite(n))
        throw new RunConfigError(`${key}=${value} is not a number`, '--lora');
      return n;
    };
    if (key === 'r') out.r = num();
    else if (key === 'alpha' || key === 'lora_alpha') out.alpha = num();
    else if (key === 'dropout' || key === 'lora_dropout') out.dropout = num();
    else if (key === 'targets' || key === 'target_modules') {
      key = 'targets';
      if (!targetsSeen) out.targetModules = [];
      targetsSeen = true;
      if (value !== '') out.targetModules!.push(value);
    } else throw new RunConfigError(`unknown key "${key}" (r, alpha, dropout, targets)`, '--lora');
  }
  if (!Number.isInteger(out.r) || out.r < 1)
    throw new RunConfigError(`r must be a positive integer, got ${out.r}`, '--lora');
  if (!(out.alpha > 0)) throw new RunConfigError(`alpha must be positive, got ${out.alpha}`, '--lora');
  if (!(out.dropout >= 0 && out.dropout < 1))
    throw new RunConfigError(`dropout must be in [0, 1), got ${out.dropout}`, '--lora');
  if (out.targetModules?.length === 0) throw new RunConfigError('targets is empty', '--lora');
  return out;
}
