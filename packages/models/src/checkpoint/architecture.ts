/**
 * Which network a checkpoint holds, from `config.json`'s `model_type`, and its loading through the
 * matching loader: T5 (load.ts) or decoder-only (causal.ts).
 */
import { CAUSAL_MODEL_TYPES } from '../causal/config';
import { readJsonFile, loadCausalFromStore, type LoadedCausalCheckpoint } from './causal';
import { CheckpointError } from './errors';
import { loadFromStore, type LoadedCheckpoint } from './load';
import type { CheckpointStore } from './store';

export type Architecture = 't5' | 'causal';

/** A loaded checkpoint of either family, told apart by `architecture`. */
export type AnyLoadedCheckpoint = ({ architecture: 't5' } & LoadedCheckpoint) | LoadedCausalCheckpoint;

/** `t5` for model_type t5 (or a T5 architecture), `causal` for llama/qwen3/mistral/qwen2. */
export function architectureOf(configJson: unknown, source = 'config.json'): Architecture {
  const json = (configJson ?? {}) as Record<string, unknown>;
  const type = json.model_type;
  const archs = Array.isArray(json.architectures) ? (json.architectures as unknown[]) : [];
  if (type === 't5' || archs.some((a) => typeof a === 'string' && a.startsWith('T5'))) return 't5';
  if ((CAUSAL_MODEL_TYPES as readonly unknown[]).includes(type)) return 'causal';
  throw new CheckpointError(
    `"model_type" ${JSON.stringify(type)} is not supported (supported: t5, ${CAUSAL_MODEL_TYPES.join(', ')})`,
    source,
  );
}

/** Reads `config.json`, then loads the checkpoint with the loader of its architecture. */
export async function loadAnyFromStore(store: CheckpointStore): Promise<AnyLoadedCheckpoint> {
  const config = await readJsonFile(store, 'config.json');
  if (config === undefined) throw new CheckpointError('not found', store.describe('config.json'));
  if (architectureOf(config, store.describe('config.json')) === 'causal') return loadCausalFromStore(store);
  return { architecture: 't5', ...(await loadFromStore(store)) };
}
