/**
 * Pretrained decoder-only models in one call, and one loader for every architecture this package
 * runs: `config.json`'s `model_type` picks T5 or causal. Browser-safe (directory URLs and hub ids);
 * the `/node` entry adds local directories, the disk cache and saving.
 */
import { loadAnyFromStore, type AnyLoadedCheckpoint } from '../checkpoint/architecture';
import { loadCausalFromStore, type LoadedCausalCheckpoint } from '../checkpoint/causal';
import { CheckpointError } from '../checkpoint/errors';
import { remoteStore, type LoadCheckpointOptions } from '../checkpoint/load-remote';
import type { CheckpointStore } from '../checkpoint/store';
import { T5Model } from '../t5/model';
import { withGenerationIds } from './config';
import { CausalLMModel } from './model';

/** A ready model of either family with what its checkpoint carried besides the weights. */
export type LoadedModel =
  | ({ architecture: 't5'; model: T5Model } & Omit<
      Extract<AnyLoadedCheckpoint, { architecture: 't5' }>,
      'tensors' | 'architecture'
    >)
  | ({ architecture: 'causal'; model: CausalLMModel } & Omit<
      LoadedCausalCheckpoint,
      'tensors' | 'architecture'
    >);

/** The network of a loaded decoder-only checkpoint (its tensors are copied to the current backend). */
export function causalFromCheckpoint(
  checkpoint: Pick<LoadedCausalCheckpoint, 'config' | 'tensors'> &
    Partial<Pick<LoadedCausalCheckpoint, 'generationConfig'>>,
): CausalLMModel {
  return CausalLMModel.fromTensors(
    withGenerationIds(checkpoint.config, checkpoint.generationConfig),
    checkpoint.tensors,
  );
}

/** The model of a loaded checkpoint of either family; frees the host copies of its tensors. */
export function modelFromCheckpoint(checkpoint: AnyLoadedCheckpoint): LoadedModel {
  const { tensors, ...rest } = checkpoint;
  try {
    if (rest.architecture === 'causal') return { ...rest, model: causalFromCheckpoint({ ...rest, tensors }) };
    return { ...rest, architecture: 't5', model: T5Model.fromTensors(rest.config, tensors) };
  } finally {
    tensors.clear();
  }
}

function storeOf(source: string | URL, options: LoadCheckpointOptions): CheckpointStore {
  const store = remoteStore(source, options);
  if (!store)
    throw new CheckpointError('is neither an http(s) URL nor a hub repo id (owner/name)', String(source));
  return store;
}

/**
 * Loads a Llama / Qwen3 / Mistral / Qwen2 checkpoint from the URL of its directory or the hub by
 * repo id, onto the current tfjs backend (initialise it first).
 *
 * @example
 * ```ts
 * const model = await loadCausalLM('HuggingFaceTB/SmolLM2-135M');
 * ```
 */
export async function loadCausalLM(
  source: string | URL,
  options: LoadCheckpointOptions = {},
): Promise<CausalLMModel> {
  return causalFromCheckpoint(await loadCausalFromStore(storeOf(source, options)));
}

/** A checkpoint of any supported architecture (picked from `config.json`), by URL or hub id, not yet on a backend. */
export async function loadAnyCheckpoint(
  source: string | URL,
  options: LoadCheckpointOptions = {},
): Promise<AnyLoadedCheckpoint> {
  return loadAnyFromStore(storeOf(source, options));
}

/** Loads a checkpoint of any supported architecture (picked from `config.json`) from a URL or hub id. */
export async function loadModel(
  source: string | URL,
  options: LoadCheckpointOptions = {},
): Promise<LoadedModel> {
  return modelFromCheckpoint(await loadAnyFromStore(storeOf(source, options)));
}
