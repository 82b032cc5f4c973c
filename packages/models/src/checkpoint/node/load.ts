/** `loadCheckpoint` for Node: a local directory, a directory URL, or a hub repo id through a disk cache. */
import { loadFromStore, type LoadedCheckpoint } from '../load';
import type { LoadCheckpointOptions } from '../load-remote';
import { nodeStore } from './store';

export interface NodeLoadCheckpointOptions extends LoadCheckpointOptions {
  /**
   * Where hub downloads are cached (default `$FLAN_TS_CACHE`, else `~/.cache/flan-ts/hub`); the
   * layout is the hub cache's, so `~/.cache/huggingface/hub` can be shared. `false`: no cache.
   */
  cacheDir?: string | false;
  /** Use only the cache: no request is made, and a file not cached is an error. */
  offline?: boolean;
}

/**
 * Loads a T5 checkpoint in Hugging Face layout from a local directory, the URL of a directory, or
 * the hub by repo id (`google/flan-t5-small`, cached on disk). A path that exists wins over a repo
 * id of the same spelling, as in `transformers`.
 *
 * @throws CheckpointError naming the file (and tensor) when the checkpoint is missing, corrupt or not a T5.
 */
export async function loadCheckpoint(
  source: string | URL,
  options: NodeLoadCheckpointOptions = {},
): Promise<LoadedCheckpoint> {
  return loadFromStore(nodeStore(source, options));
}
