/**
 * Writes a checkpoint as `save_pretrained` does, so `transformers` (and {@link loadCheckpoint}) load
 * it: `model.safetensors`, `config.json`, `generation_config.json`.
 *
 * Safetensors cannot alias tensors, so Hugging Face drops every name in T5's `_tied_weights_keys`
 * that shares storage with another (`encoder/decoder.embed_tokens.weight`, and `lm_head.weight` when
 * the embeddings are tied) and re-ties them on load. We store the same names.
 */
import { copyFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CheckpointError } from '../errors';
import { configJson, generationConfigJson, tensorsToSave, type SaveCheckpointInput } from '../hf-files';
import { encodeSafetensorsHeader, encodeTensorData, type SafetensorsDType } from '../safetensors';
import { writeAll, writeFileAtomic } from './atomic-file';

export type { SaveCheckpointInput } from '../hf-files';

export interface SaveCheckpointOptions {
  /** Stored dtype (default F32; F16 and BF16 round to nearest even). */
  dtype?: SafetensorsDType;
  /** Files copied into the directory as they are, e.g. the tokenizer files of the loaded checkpoint. */
  copyFiles?: readonly string[];
}

/**
 * Saves a T5 checkpoint into `directory` (created if needed). Each file is written under a
 * temporary name and renamed into place, so an interrupted save never leaves a half-written file.
 * Tensor data is streamed to disk: no second copy of the weights is built.
 *
 * @returns the paths written.
 */
export async function saveCheckpoint(
  directory: string,
  input: SaveCheckpointInput,
  options: SaveCheckpointOptions = {},
): Promise<string[]> {
  const dtype = options.dtype ?? 'F32';
  const weightsPath = join(directory, 'model.safetensors');
  const tensors = tensorsToSave(input.config, input.tensors, weightsPath);
  const { header, ordered } = encodeSafetensorsHeader(tensors, { format: 'pt' }, { dtype });
  await writeFileAtomic(weightsPath, async (handle) => {
    await writeAll(handle, header);
    for (const t of ordered) await writeAll(handle, encodeTensorData(t.data, dtype));
  });

  const configPath = join(directory, 'config.json');
  await writeFileAtomic(configPath, (handle) => writeAll(handle, configJson(input.config, dtype)));
  const generationPath = join(directory, 'generation_config.json');
  await writeFileAtomic(generationPath, (handle) => writeAll(handle, generationConfigJson(input)));

  const written = [weightsPath, configPath, generationPath];
  for (const file of options.copyFiles ?? []) {
    const target = join(directory, basename(file));
    if (written.includes(target)) throw new CheckpointError('would overwrite a file the save writes', file);
    try {
      await copyFile(file, target);
    } catch (error) {
      throw new CheckpointError(`cannot copy: ${(error as Error).message}`, file);
    }
    written.push(target);
  }
  return written;
}
