/**
 * Starting or resuming a run against a {@link CheckpointStore}, written once for `runTraining`
 * (Node, a directory) and the browser app (OPFS): find the newest checkpoint and refuse one made
 * with other settings, restore the adapter and the optimizer state from it, and save checkpoints
 * with the trainer state a resume needs.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CheckpointPosition } from '../loop';
import { applyLora, type LoraAdapter } from '../lora/adapter';
import type { LoraConfig } from '../lora/config';
import { adapterFilesIn, loraAdapterFromFiles } from '../lora/files';
import type { TrainableModel } from '../model';
import type { Trainer } from '../trainer';
import { optimizerStateOf, readStoredCheckpoint, saveCheckpoint, type StoredCheckpoint } from './contents';
import { configDifferences, TRAINER_STATE_FORMAT } from './state';
import { newestCheckpoint, type CheckpointStore } from './store';

/** Why a run cannot start or resume (its message is for the user; `option` names the setting). */
export class ResumeError extends Error {
  override name = 'ResumeError';
  constructor(
    message: string,
    readonly option: 'resume' | 'out',
  ) {
    super(message);
  }
}

/**
 * The newest checkpoint to resume from (`resume`), checked against the run's settings: keys outside
 * `resumable` must be unchanged. Without `resume`, a store that already holds checkpoints is refused
 * unless `replace`, which empties it.
 */
export async function checkpointToResume(
  store: CheckpointStore,
  options: {
    resume: boolean;
    config: Record<string, unknown>;
    resumable: readonly string[];
    replace?: boolean;
    /** How the store is named in messages (a directory, "this browser"). */
    where?: string;
    /** What to do instead when the store already holds a run (default: resume it, or start elsewhere). */
    hint?: string;
  },
): Promise<StoredCheckpoint | undefined> {
  const where = options.where ?? store.describe('');
  const newest = await newestCheckpoint(store);
  if (!options.resume) {
    if (newest !== undefined && !options.replace)
      throw new ResumeError(
        `${where} already holds checkpoints (newest ${newest}): ${options.hint ?? 'resume that run, or start in another place'}`,
        'out',
      );
    for (const name of await store.list()) await store.remove(name);
    return undefined;
  }
  if (newest === undefined) throw new ResumeError(`${where} holds no checkpoint to resume from`, 'resume');
  const checkpoint = await readStoredCheckpoint(store, newest);
  const diff = configDifferences(checkpoint.state.config, options.config, options.resumable);
  if (diff.length > 0)
    throw new ResumeError(`the run in ${where} was made with other settings: ${diff.join('; ')}`, 'resume');
  return checkpoint;
}

/**
 * A LoRA run's adapter: the checkpoint's (resuming) or a fresh one; the model's own parameters are
 * frozen either way.
 */
export function loraForRun(
  model: TrainableModel,
  config: Partial<LoraConfig>,
  seed: number,
  checkpoint: StoredCheckpoint | undefined,
  store: CheckpointStore,
): LoraAdapter {
  let adapter: LoraAdapter;
  if (checkpoint !== undefined) {
    const where = store.describe(checkpoint.name);
    adapter = loraAdapterFromFiles(model, adapterFilesIn(checkpoint.files, where), where);
  } else adapter = applyLora(model, config, seed);
  for (const v of model.parameters().values()) v.trainable = false;
  return adapter;
}

/** Loads the checkpoint's optimizer state (and step count) into `trainer`. */
export function restoreOptimizer(
  trainer: Trainer,
  checkpoint: StoredCheckpoint,
  store: CheckpointStore,
): void {
  const tensors = optimizerStateOf(checkpoint, store);
  try {
    trainer.loadOptimizerState({ step: checkpoint.state.step, tensors });
  } finally {
    tf.dispose([...tensors.values()]);
  }
}

export interface CheckpointSaverOptions {
  store: CheckpointStore;
  trainer: Trainer;
  model: TrainableModel;
  adapter?: LoraAdapter;
  /** The run's settings, recorded for a resume to compare. */
  config: Record<string, unknown>;
  seed: number;
  /** Checkpoints kept (the newest). */
  keep: number;
  /** Files stored beside the model in every checkpoint (the tokenizer; the page's curve). */
  extraFiles?: () => ReadonlyMap<string, Uint8Array>;
}

/** `fit`'s `save` callback: writes `checkpoint-<step>` through the store and returns its name. */
export function checkpointSaver(
  options: CheckpointSaverOptions,
): (position: CheckpointPosition) => Promise<string> {
  return async (position) => {
    const optimizerState = options.trainer.optimizerState();
    return saveCheckpoint(
      options.store,
      {
        model: options.model,
        ...(options.adapter ? { adapter: options.adapter } : {}),
        optimizerState: optimizerState.tensors,
        state: {
          format: TRAINER_STATE_FORMAT,
          step: position.step,
          examplesSeen: position.examplesSeen,
          data: position.data,
          rng: { seed: options.seed },
          config: options.config,
        },
        ...(options.extraFiles ? { extraFiles: options.extraFiles() } : {}),
      },
      options.keep,
    );
  };
}
