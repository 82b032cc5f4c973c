/**
 * PEFT's adapter layout as bytes (browser-safe): `adapter_config.json` + `adapter_model.safetensors`
 * with keys `base_model.model.<module>.lora_A.weight` / `.lora_B.weight` and metadata `{"format": "pt"}`.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  parseSafetensors,
  readFloat32,
  serializeSafetensors,
  type NamedFloat32Tensor,
} from '@flan-ts/models';
import { isDecoderOnly, type TrainableModel } from '../model';
import { LoraAdapter, peftKey, targetModulesOf, variableFrom, type LoraModule } from './adapter';
import { parseAdapterConfig, pythonJsonDump, toAdapterConfigJson } from './config';

/** PEFT's file names for an adapter directory. */
export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';

export interface AdapterFiles {
  /** `adapter_config.json` text. */
  config: string;
  /** `adapter_model.safetensors` bytes. */
  weights: Uint8Array;
}

export class AdapterFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdapterFileError';
  }
}

/**
 * Reads a PEFT adapter onto `model`: every target module of the config must have its A and B with
 * shapes that fit, and the file may hold nothing else. `source` names the files in errors.
 */
export function loraAdapterFromFiles(
  model: TrainableModel,
  files: AdapterFiles,
  source = '<adapter>',
): LoraAdapter {
  const config = parseAdapterConfig(files.config, `${source}/adapter_config.json`);
  const weightsName = `${source}/adapter_model.safetensors`;
  const file = parseSafetensors(files.weights, weightsName);
  const targets = targetModulesOf(model, config);
  const expected = new Map<string, number[]>();
  for (const [path, [out, inp]] of targets) {
    expected.set(peftKey(path, 'A'), [config.r, inp]);
    expected.set(peftKey(path, 'B'), [out, config.r]);
  }
  for (const name of file.tensors.keys()) {
    if (!expected.has(name)) {
      throw new AdapterFileError(
        `${weightsName}: tensor ${name} is not a LoRA tensor of this model and config`,
      );
    }
  }
  const read = (name: string) => {
    const entry = file.tensors.get(name);
    const shape = expected.get(name)!;
    if (entry === undefined) throw new AdapterFileError(`${weightsName}: missing tensor ${name}`);
    if (entry.shape.length !== 2 || entry.shape[0] !== shape[0] || entry.shape[1] !== shape[1]) {
      throw new AdapterFileError(
        `${weightsName}: tensor ${name} has shape [${entry.shape.join(', ')}], expected [${shape.join(', ')}]`,
      );
    }
    return variableFrom(tf.tensor2d(readFloat32(file, name), [shape[0]!, shape[1]!]), name);
  };
  const modules = new Map<string, LoraModule>();
  try {
    for (const [path] of targets)
      modules.set(path, { a: read(peftKey(path, 'A')), b: read(peftKey(path, 'B')) });
  } catch (error) {
    for (const m of modules.values()) tf.dispose([m.a, m.b]);
    throw error;
  }
  return new LoraAdapter(model, config, modules);
}

/** The adapter as PEFT's two files (reads the tensors asynchronously: works on every backend). */
export async function loraAdapterToFiles(adapter: LoraAdapter): Promise<AdapterFiles> {
  adapter.assertAlive();
  const tensors: NamedFloat32Tensor[] = [];
  for (const [name, v] of adapter.variables()) {
    tensors.push({ name, shape: [...v.shape], data: (await v.data()) as Float32Array });
  }
  tensors.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  return {
    config: pythonJsonDump(
      toAdapterConfigJson(adapter.config, isDecoderOnly(adapter.model) ? 'CAUSAL_LM' : 'SEQ_2_SEQ_LM'),
    ),
    weights: serializeSafetensors(tensors, { format: 'pt' }),
  };
}

/** The adapter's files by name, as a directory holds them. */
export async function loraAdapterFileMap(adapter: LoraAdapter): Promise<Map<string, Uint8Array>> {
  const files = await loraAdapterToFiles(adapter);
  return new Map([
    [ADAPTER_CONFIG_FILE, new TextEncoder().encode(files.config)],
    [ADAPTER_WEIGHTS_FILE, files.weights],
  ]);
}

/** The adapter in a map of files by name (a checkpoint read from a store), or an error naming the file. */
export function adapterFilesIn(files: ReadonlyMap<string, Uint8Array>, source: string): AdapterFiles {
  const get = (name: string) => {
    const bytes = files.get(name);
    if (bytes === undefined) throw new AdapterFileError(`${source}/${name}: missing`);
    return bytes;
  };
  return { config: new TextDecoder().decode(get(ADAPTER_CONFIG_FILE)), weights: get(ADAPTER_WEIGHTS_FILE) };
}
