/**
 * A decoder-only checkpoint as the bytes of its Hugging Face files (`model.safetensors`,
 * `config.json`, `generation_config.json`), built in memory: what a browser downloads or keeps in
 * OPFS, and what a training checkpoint stores. Node's `saveCausalLM` also shards and streams.
 */
import { toHuggingFaceCausalConfig } from '../causal/config';
import type { CausalLMModel } from '../causal/model';
import { huggingFaceJson } from './hf-files';
import { serializeSafetensors, type SafetensorsDType } from './safetensors';

/** The model's current parameters as its checkpoint's files, by name (tied models store no `lm_head.weight`). */
export async function causalToFiles(
  model: CausalLMModel,
  options: { dtype?: SafetensorsDType } = {},
): Promise<Map<string, Uint8Array>> {
  const dtype = options.dtype ?? 'F32';
  const tensors = await model.readTensors();
  const config = {
    ...toHuggingFaceCausalConfig(model.config),
    torch_dtype: { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[dtype],
  };
  const { bosTokenId, eosTokenIds, padTokenId } = model.config;
  const generation = {
    bos_token_id: bosTokenId ?? null,
    eos_token_id: eosTokenIds.length === 1 ? eosTokenIds[0] : eosTokenIds,
    pad_token_id: padTokenId ?? null,
  };
  return new Map([
    ['model.safetensors', serializeSafetensors(tensors, { format: 'pt' }, { dtype })],
    ['config.json', huggingFaceJson(config)],
    ['generation_config.json', huggingFaceJson(generation)],
  ]);
}
