/**
 * What a checkpoint holds, as files (browser-safe): the model in Hugging Face layout (or, for a LoRA
 * run, the adapter in PEFT's), `optimizer.safetensors`, `trainer_state.json`, and files kept beside
 * the model so the checkpoint loads on its own (the tokenizer). Written and read through a
 * {@link CheckpointStore}.
 */
import { causalToFiles, t5ToFiles } from '@flan-ts/models';
import { isDecoderOnly, type TrainableModel } from '../model';
import type { Tensor } from '@tensorflow/tfjs-core';
import type { LoraAdapter } from '../lora/adapter';
import { loraAdapterFileMap } from '../lora/files';
import {
  OPTIMIZER_FILE,
  TRAINER_STATE_FILE,
  parseOptimizerState,
  parseTrainerState,
  serializeOptimizerState,
  type TrainerState,
} from './state';
import { checkpointName, pruneStore, type CheckpointStore } from './store';

export interface CheckpointContents {
  model: TrainableModel;
  /** For a LoRA run: the adapter is saved instead of the full model. */
  adapter?: LoraAdapter;
  optimizerState: ReadonlyMap<string, Tensor>;
  state: TrainerState;
  /** Files stored beside the model as they are (e.g. `spiece.model`), by name. */
  extraFiles?: ReadonlyMap<string, Uint8Array>;
}

/** The model (or adapter) files: what `flan generate --model/--adapter` and Hugging Face load. */
export async function modelFiles(
  model: TrainableModel,
  adapter?: LoraAdapter,
): Promise<Map<string, Uint8Array>> {
  if (adapter !== undefined) return loraAdapterFileMap(adapter);
  return isDecoderOnly(model) ? causalToFiles(model) : t5ToFiles(model);
}

/** Every file of the checkpoint, by name. */
export async function checkpointFiles(c: CheckpointContents): Promise<Map<string, Uint8Array>> {
  const files = await modelFiles(c.model, c.adapter);
  for (const [name, bytes] of c.extraFiles ?? []) {
    if (files.has(name)) throw new Error(`${name}: would overwrite a file of the checkpoint`);
    files.set(name, bytes);
  }
  files.set(OPTIMIZER_FILE, await serializeOptimizerState(c.optimizerState));
  files.set(TRAINER_STATE_FILE, new TextEncoder().encode(`${JSON.stringify(c.state, null, 2)}\n`));
  return files;
}

/** Writes `checkpoint-<step>` into `store`, then keeps only the newest `keep`; returns its name. */
export async function saveCheckpoint(
  store: CheckpointStore,
  c: CheckpointContents,
  keep = Infinity,
): Promise<string> {
  const name = checkpointName(c.state.step);
  await store.write(name, await checkpointFiles(c));
  await pruneStore(store, keep);
  return name;
}

export interface StoredCheckpoint {
  name: string;
  state: TrainerState;
  /** Every file of the checkpoint (the model's or adapter's among them), by name. */
  files: Map<string, Uint8Array>;
}

function required(files: ReadonlyMap<string, Uint8Array>, file: string, where: string): Uint8Array {
  const bytes = files.get(file);
  if (bytes === undefined) throw new Error(`${where}/${file}: missing from the checkpoint`);
  return bytes;
}

/** Reads checkpoint `name`'s files and trainer state (no tensors: needs no backend). */
export async function readStoredCheckpoint(store: CheckpointStore, name: string): Promise<StoredCheckpoint> {
  const files = await store.read(name);
  const where = store.describe(name);
  const text = new TextDecoder().decode(required(files, TRAINER_STATE_FILE, where));
  return { name, state: parseTrainerState(text, `${where}/${TRAINER_STATE_FILE}`), files };
}

/** The checkpoint's optimizer state as tensors on the current backend (the caller owns them). */
export function optimizerStateOf(checkpoint: StoredCheckpoint, store: CheckpointStore): Map<string, Tensor> {
  const where = store.describe(checkpoint.name);
  return parseOptimizerState(required(checkpoint.files, OPTIMIZER_FILE, where), `${where}/${OPTIMIZER_FILE}`);
}
