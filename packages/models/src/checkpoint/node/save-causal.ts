/**
 * Saves a decoder-only model in Hugging Face's layout (`save_pretrained`): `config.json`,
 * `generation_config.json`, and `model.safetensors` or shards with `model.safetensors.index.json`.
 */
import { copyFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { toHuggingFaceCausalConfig } from '../../causal/config';
import type { CausalLMModel } from '../../causal/model';
import { huggingFaceJson } from '../hf-files';
import type { GenerationConfigJson } from '../load';
import {
  encodeSafetensorsHeader,
  encodeTensorData,
  type NamedFloat32Tensor,
  type SafetensorsDType,
} from '../safetensors';
import { WEIGHTS_FILE, WEIGHTS_INDEX_FILE } from '../weights';
import { writeAll, writeFileAtomic } from './atomic-file';

export interface SaveCausalOptions {
  /** Stored dtype (default F32; F16 and BF16 round to nearest even). */
  dtype?: SafetensorsDType;
  /** Largest shard in bytes; bigger models are split with an index (default: one file). */
  maxShardBytes?: number;
  /** `generation_config.json` to write (default: the config's token ids). */
  generationConfig?: GenerationConfigJson;
  /** Files copied into the directory as they are (e.g. the tokenizer files). */
  copyFiles?: readonly string[];
}

async function writeSafetensors(
  path: string,
  tensors: NamedFloat32Tensor[],
  dtype: SafetensorsDType,
): Promise<void> {
  const { header, ordered } = encodeSafetensorsHeader(tensors, { format: 'pt' }, { dtype });
  await writeFileAtomic(path, async (handle) => {
    await writeAll(handle, header);
    for (const t of ordered) await writeAll(handle, encodeTensorData(t.data, dtype));
  });
}

/** Greedy shards in name order, each at most `maxBytes` (a single larger tensor gets a shard of its own). */
function shardTensors(
  tensors: NamedFloat32Tensor[],
  bytesPerValue: number,
  maxBytes: number,
): NamedFloat32Tensor[][] {
  const shards: NamedFloat32Tensor[][] = [];
  let size = 0;
  for (const t of tensors) {
    const bytes = t.data.length * bytesPerValue;
    if (shards.length === 0 || (size + bytes > maxBytes && size > 0)) {
      shards.push([]);
      size = 0;
    }
    shards[shards.length - 1]!.push(t);
    size += bytes;
  }
  return shards;
}

/**
 * Saves the model's current parameters as a Hugging Face checkpoint that `transformers` and
 * {@link loadCausalLM} load. Tied models store no `lm_head.weight`, as `save_pretrained`.
 *
 * @returns the paths written.
 */
export async function saveCausalLM(
  model: CausalLMModel,
  directory: string,
  options: SaveCausalOptions = {},
): Promise<string[]> {
  const dtype = options.dtype ?? 'F32';
  const tensors = (await model.readTensors()).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  const written: string[] = [];
  const bytesPerValue = dtype === 'F32' ? 4 : 2;
  const shards = shardTensors(tensors, bytesPerValue, options.maxShardBytes ?? Number.POSITIVE_INFINITY);
  if (shards.length === 1) {
    const path = join(directory, WEIGHTS_FILE);
    await writeSafetensors(path, tensors, dtype);
    written.push(path);
  } else {
    const name = (i: number) =>
      `model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`;
    const weightMap: Record<string, string> = {};
    for (const [i, shard] of shards.entries()) {
      const path = join(directory, name(i));
      await writeSafetensors(path, shard, dtype);
      written.push(path);
      for (const t of shard) weightMap[t.name] = name(i);
    }
    const totalSize = tensors.reduce((s, t) => s + t.data.length * bytesPerValue, 0);
    const indexPath = join(directory, WEIGHTS_INDEX_FILE);
    const index = huggingFaceJson({ metadata: { total_size: totalSize }, weight_map: weightMap });
    await writeFileAtomic(indexPath, (handle) => writeAll(handle, index));
    written.push(indexPath);
  }
  const config = {
    ...toHuggingFaceCausalConfig(model.config),
    torch_dtype: { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[dtype],
  };
  const { bosTokenId, eosTokenIds, padTokenId } = model.config;
  const generation = options.generationConfig ?? {
    bos_token_id: bosTokenId ?? null,
    eos_token_id: eosTokenIds.length === 1 ? eosTokenIds[0] : eosTokenIds,
    pad_token_id: padTokenId ?? null,
  };
  for (const [file, json] of [
    ['config.json', config],
    ['generation_config.json', generation],
  ] as const) {
    const path = join(directory, file);
    const bytes = huggingFaceJson(json);
    await writeFileAtomic(path, (handle) => writeAll(handle, bytes));
    written.push(path);
  }
  for (const file of options.copyFiles ?? []) {
    const target = join(directory, basename(file));
    await copyFile(file, target);
    written.push(target);
  }
  return written;
}
