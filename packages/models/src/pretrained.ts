/**
 * Pretrained T5 models in one call: a Hugging Face checkpoint (directory URL or hub repo id) as a
 * ready {@link T5Model}. Node's entry adds local directories, the disk cache and `saveT5`.
 */
import { loadCheckpoint, type LoadCheckpointOptions } from './checkpoint/load-remote';
import type { LoadedCheckpoint } from './checkpoint/load';
import { checkpointToFiles } from './checkpoint/hf-files';
import type { SafetensorsDType } from './checkpoint/safetensors';
import { T5Model } from './t5/model';

/** The network of a loaded checkpoint (its tensors are copied to the current tfjs backend). */
export function t5FromCheckpoint(checkpoint: Pick<LoadedCheckpoint, 'config' | 'tensors'>): T5Model {
  return T5Model.fromTensors(checkpoint.config, checkpoint.tensors);
}

/**
 * Loads a T5 / Flan-T5 from the URL of a Hugging Face model directory or from the hub by repo id
 * (`google/flan-t5-small`), onto the current tfjs backend (initialise it first). Use
 * {@link loadCheckpoint} directly for the generation config and the tokenizer files.
 *
 * @throws CheckpointError naming the file (and tensor) when the checkpoint is missing, corrupt or not a T5.
 */
export async function loadT5(source: string | URL, options: LoadCheckpointOptions = {}): Promise<T5Model> {
  return t5FromCheckpoint(await loadCheckpoint(source, options));
}

/**
 * The model's current parameters as the bytes of a Hugging Face checkpoint (`model.safetensors`,
 * `config.json`, `generation_config.json`), e.g. to download from a page or keep in OPFS. Node's
 * `saveT5` writes the same bytes to a directory without building them in memory.
 */
export async function t5ToFiles(
  model: T5Model,
  options: { dtype?: SafetensorsDType } = {},
): Promise<Map<string, Uint8Array>> {
  return checkpointToFiles({ config: model.config, tensors: await model.readTensors() }, options);
}
