/**
 * What a checkpoint holds besides weights: the trainer state (`trainer_state.json`), written as
 * JSON, and the optimizer state as named float32 tensors (`optimizer.safetensors`). Browser-safe.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import {
  parseSafetensors,
  readFloat32,
  serializeSafetensors,
  type NamedFloat32Tensor,
} from '@flan-ts/models';

export const TRAINER_STATE_FILE = 'trainer_state.json';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const TRAINER_STATE_FORMAT = 'flan-ts/trainer-state@1';

/** `trainer_state.json`: everything needed to continue the run exactly where it stopped. */
export interface TrainerState {
  format: typeof TRAINER_STATE_FORMAT;
  /** Optimizer steps taken. */
  step: number;
  /** Examples consumed by those steps. */
  examplesSeen: number;
  /** The data source's position (sampler or file reader state), JSON as the source gives it. */
  data: unknown;
  /** Seeds and generator states (dropout, LoRA init, shuffling) as JSON. */
  rng: unknown;
  /** The run's configuration: a resume with a different one is refused, naming the differences. */
  config: Record<string, unknown>;
}

export class CheckpointStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointStateError';
  }
}

export function parseTrainerState(text: string, source: string): TrainerState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new CheckpointStateError(`${source}: not valid JSON (${(error as Error).message})`);
  }
  const s = raw as Partial<TrainerState>;
  if (s?.format !== TRAINER_STATE_FORMAT) {
    throw new CheckpointStateError(
      `${source}: format is ${JSON.stringify(s?.format)}, expected "${TRAINER_STATE_FORMAT}"`,
    );
  }
  for (const field of ['step', 'examplesSeen'] as const) {
    if (!Number.isInteger(s[field]) || (s[field] as number) < 0) {
      throw new CheckpointStateError(`${source}: field "${field}" must be a non-negative integer`);
    }
  }
  if (s.config === null || typeof s.config !== 'object') {
    throw new CheckpointStateError(`${source}: field "config" must be an object`);
  }
  return s as TrainerState;
}

/**
 * The settings of `resumed` that differ from `current` (`name: old → new`), for a resume that must
 * refuse a changed run. Keys listed in `ignore` (e.g. the step count to run to) may change.
 */
export function configDifferences(
  saved: Record<string, unknown>,
  current: Record<string, unknown>,
  ignore: readonly string[] = [],
): string[] {
  const keys = [...new Set([...Object.keys(saved), ...Object.keys(current)])].sort();
  return keys
    .filter((k) => !ignore.includes(k) && JSON.stringify(saved[k]) !== JSON.stringify(current[k]))
    .map((k) => `${k}: ${JSON.stringify(saved[k])} → ${JSON.stringify(current[k])}`);
}

/** Optimizer state tensors as safetensors bytes (read asynchronously: works on WebGPU too). */
export async function serializeOptimizerState(state: ReadonlyMap<string, Tensor>): Promise<Uint8Array> {
  const tensors: NamedFloat32Tensor[] = [];
  for (const [name, t] of state) {
    const data =
      t.dtype === 'float32' ? ((await t.data()) as Float32Array) : Float32Array.from(await t.data());
    tensors.push({ name, shape: [...t.shape], data });
  }
  return serializeSafetensors(tensors, { format: 'pt', 'flan-ts': 'optimizer-state' });
}

/** The tensors of `optimizer.safetensors`, on the current backend (the caller owns them). */
export function parseOptimizerState(bytes: Uint8Array, source: string): Map<string, Tensor> {
  const file = parseSafetensors(bytes, source);
  const out = new Map<string, Tensor>();
  for (const [name, entry] of file.tensors)
    out.set(name, tf.tensor(readFloat32(file, name), entry.shape, 'float32'));
  return out;
}
