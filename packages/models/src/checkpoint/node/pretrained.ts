/** `loadT5` and `saveT5` for Node: local directories, the hub through the disk cache, and saving. */
import type { GenerationConfigJson } from '../load';
import { t5FromCheckpoint } from '../../pretrained';
import type { T5Model } from '../../t5/model';
import { loadCheckpoint, type NodeLoadCheckpointOptions } from './load';
import { saveCheckpoint, type SaveCheckpointOptions } from './save';

/**
 * Loads a T5 / Flan-T5 from a local Hugging Face model directory, a directory URL, or the hub by
 * repo id (cached on disk), onto the current tfjs backend (initialise it first).
 *
 * @throws CheckpointError naming the file (and tensor) when the checkpoint is missing, corrupt or not a T5.
 */
export async function loadT5(
  source: string | URL,
  options: NodeLoadCheckpointOptions = {},
): Promise<T5Model> {
  return t5FromCheckpoint(await loadCheckpoint(source, options));
}

export interface SaveT5Options extends SaveCheckpointOptions {
  /** `generation_config.json` to write (default: the config's token ids). */
  generationConfig?: GenerationConfigJson;
}

/**
 * Saves the model's current parameters as a Hugging Face checkpoint (`model.safetensors`,
 * `config.json`, `generation_config.json`) that `transformers` and {@link loadT5} load.
 *
 * @returns the paths written.
 */
export async function saveT5(
  model: T5Model,
  directory: string,
  options: SaveT5Options = {},
): Promise<string[]> {
  const { generationConfig, ...saveOptions } = options;
  return saveCheckpoint(
    directory,
    { config: model.config, tensors: await model.readTensors(), generationConfig },
    saveOptions,
  );
}
