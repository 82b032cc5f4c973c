/** PEFT adapter directories on disk (Node). */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@flan-ts/models/node';
import type { TrainableModel } from '../model';
import type { LoraAdapter } from './adapter';
import {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  AdapterFileError,
  loraAdapterFromFiles,
  loraAdapterToFiles,
} from './files';

/** Reads `dir/adapter_config.json` and `dir/adapter_model.safetensors` onto `model` (see `loraAdapterFromFiles`). */
export async function loadLoraAdapter(model: TrainableModel, dir: string): Promise<LoraAdapter> {
  const read = async (name: string) => {
    try {
      return await readFile(join(dir, name));
    } catch (error) {
      throw new AdapterFileError(
        `${join(dir, name)}: cannot read (${(error as NodeJS.ErrnoException).code ?? error})`,
      );
    }
  };
  // One after the other: a missing directory is then always reported by its config file.
  const config = await read(ADAPTER_CONFIG_FILE);
  const weights = await read(ADAPTER_WEIGHTS_FILE);
  return loraAdapterFromFiles(
    model,
    { config: config.toString('utf8'), weights: new Uint8Array(weights) },
    dir,
  );
}

/** Writes the adapter in PEFT's layout into `dir` (each file atomically: temporary name, then rename). */
export async function saveLoraAdapter(adapter: LoraAdapter, dir: string): Promise<void> {
  const files = await loraAdapterToFiles(adapter);
  await writeFileAtomic(join(dir, ADAPTER_CONFIG_FILE), (h) => h.writeFile(files.config, 'utf8'));
  await writeFileAtomic(join(dir, ADAPTER_WEIGHTS_FILE), (h) => h.writeFile(files.weights));
}
