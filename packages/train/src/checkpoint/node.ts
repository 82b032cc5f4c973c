/**
 * Checkpoint directories on disk: `<out>/checkpoint-<step>/` with the model in Hugging Face layout
 * (or the LoRA adapter in PEFT's), `optimizer.safetensors` and `trainer_state.json`. A checkpoint is
 * written under a temporary name and renamed when complete, so a crash never leaves a partial one
 * under the real name; only the newest `keep` are kept.
 */
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { saveT5, type T5Model } from '@flan-ts/models/node';
import type { Tensor } from '@tensorflow/tfjs-core';
import type { LoraAdapter } from '../lora/adapter';
import { saveLoraAdapter } from '../lora/node';
import {
  OPTIMIZER_FILE,
  TRAINER_STATE_FILE,
  parseOptimizerState,
  parseTrainerState,
  serializeOptimizerState,
  type TrainerState,
} from './state';

const CHECKPOINT = /^checkpoint-(\d+)$/;

export interface CheckpointContents {
  model: T5Model;
  /** For a LoRA run: the adapter is saved instead of the full model. */
  adapter?: LoraAdapter;
  optimizerState: ReadonlyMap<string, Tensor>;
  state: TrainerState;
  /** Files copied beside the model (the tokenizer), so the checkpoint loads on its own. */
  copyFiles?: readonly string[];
}

/** Writes the model (or adapter) and the tokenizer files into `dir` (it must exist). */
export async function writeModelFiles(
  dir: string,
  model: T5Model,
  adapter: LoraAdapter | undefined,
  copyFiles: readonly string[] = [],
): Promise<void> {
  if (adapter !== undefined) await saveLoraAdapter(adapter, dir);
  else await saveT5(model, dir);
  for (const file of copyFiles) await copyFile(file, join(dir, basename(file)));
}

/** Writes `<out>/checkpoint-<step>` whole (temporary directory, then rename) and returns its path. */
export async function writeCheckpoint(out: string, c: CheckpointContents): Promise<string> {
  const target = join(out, `checkpoint-${c.state.step}`);
  const temp = join(out, `.checkpoint-${c.state.step}.${process.pid}.${randomUUID().slice(0, 8)}.incomplete`);
  await mkdir(temp, { recursive: true });
  try {
    await writeModelFiles(temp, c.model, c.adapter, c.copyFiles);
    await writeFile(join(temp, OPTIMIZER_FILE), await serializeOptimizerState(c.optimizerState));
    await writeFile(join(temp, TRAINER_STATE_FILE), `${JSON.stringify(c.state, null, 2)}\n`);
    await rm(target, { recursive: true, force: true });
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  return target;
}

/** The complete checkpoints in `out`, oldest first, as `[step, path]`. */
export async function listCheckpoints(out: string): Promise<[number, string][]> {
  let names: string[];
  try {
    names = await readdir(out);
  } catch {
    return [];
  }
  return names
    .map((n) => [n, CHECKPOINT.exec(n)] as const)
    .filter(([, m]) => m !== null)
    .map(([n, m]) => [Number(m![1]), join(out, n)] as [number, string])
    .sort((a, b) => a[0] - b[0]);
}

/** Deletes all but the newest `keep` checkpoints (and leftovers of interrupted writes). */
export async function pruneCheckpoints(out: string, keep: number): Promise<void> {
  const all = await listCheckpoints(out);
  for (const [, path] of all.slice(0, Math.max(0, all.length - keep)))
    await rm(path, { recursive: true, force: true });
  for (const name of await readdir(out)) {
    if (name.startsWith('.checkpoint-') && name.endsWith('.incomplete')) {
      await rm(join(out, name), { recursive: true, force: true });
    }
  }
}

export interface ReadCheckpoint {
  dir: string;
  state: TrainerState;
  /** Optimizer state tensors on the current backend (the caller owns them). */
  optimizerState: Map<string, Tensor>;
}

/** A checkpoint's `trainer_state.json` (no tensors: needs no backend). */
export async function readTrainerState(dir: string): Promise<TrainerState> {
  const statePath = join(dir, TRAINER_STATE_FILE);
  return parseTrainerState(await readFile(statePath, 'utf8'), statePath);
}

/** Reads a checkpoint directory's trainer and optimizer state (the model is loaded with `loadT5`). */
export async function readCheckpoint(dir: string): Promise<ReadCheckpoint> {
  const state = await readTrainerState(dir);
  const optimizerPath = join(dir, OPTIMIZER_FILE);
  const optimizerState = parseOptimizerState(new Uint8Array(await readFile(optimizerPath)), optimizerPath);
  return { dir, state, optimizerState };
}
