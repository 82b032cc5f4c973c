/**
 * Decoder-only checkpoints in Node: loading from a local directory, a directory URL or the hub
 * (through the disk cache), and the architecture-picking `loadModel`. Saving: save-causal.ts.
 */
import type { CausalLMModel } from '../../causal/model';
import { causalFromCheckpoint, modelFromCheckpoint, type LoadedModel } from '../../causal/pretrained';
import { loadAnyFromStore, type AnyLoadedCheckpoint } from '../architecture';
import { loadCausalFromStore, type LoadedCausalCheckpoint } from '../causal';
import type { NodeLoadCheckpointOptions } from './load';
import { nodeStore } from './store';

/** A decoder-only checkpoint's config, generation config and tensors (see `loadCausalLM` for the model). */
export async function loadCausalCheckpoint(
  source: string | URL,
  options: NodeLoadCheckpointOptions = {},
): Promise<LoadedCausalCheckpoint> {
  return loadCausalFromStore(nodeStore(source, options));
}

/**
 * Loads a Llama / Qwen3 / Mistral / Qwen2 model from a local Hugging Face directory, a directory URL
 * or the hub by repo id (cached on disk), onto the current tfjs backend (initialise it first).
 *
 * @throws CheckpointError naming the file (and tensor) when the checkpoint is missing, corrupt or of another architecture.
 */
export async function loadCausalLM(
  source: string | URL,
  options: NodeLoadCheckpointOptions = {},
): Promise<CausalLMModel> {
  return causalFromCheckpoint(await loadCausalCheckpoint(source, options));
}

/** A checkpoint of any supported architecture, picked from `config.json`'s `model_type`. */
export async function loadAnyCheckpoint(
  source: string | URL,
  options: NodeLoadCheckpointOptions = {},
): Promise<AnyLoadedCheckpoint> {
  return loadAnyFromStore(nodeStore(source, options));
}

/**
 * Loads T5 or a decoder-only model, whichever `config.json` describes, as a union told apart by
 * `architecture`.
 *
 * @example
 * ```ts
 * const loaded = await loadModel('../shared/fixtures/models/llama-tiny');
 * if (loaded.architecture === 'causal') console.log(loaded.config.numLayers);
 * ```
 */
export async function loadModel(
  source: string | URL,
  options: NodeLoadCheckpointOptions = {},
): Promise<LoadedModel> {
  return modelFromCheckpoint(await loadAnyCheckpoint(source, options));
}
