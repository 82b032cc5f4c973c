/** `loadCheckpoint` for Node: a local directory, a directory URL, or a hub repo id through a disk cache. */
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CheckpointError } from '../errors';
import { defaultHubEndpoint, isHubRepoId } from '../hub';
import { loadFromStore, type LoadedCheckpoint } from '../load';
import { remoteStore, type LoadCheckpointOptions } from '../load-remote';
import { defaultCacheDir, hubCacheStore } from './hub-cache';
import { localStore } from './local-store';

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
  const text = String(source);
  if (text.startsWith('file:')) return loadFromStore(localStore(fileURLToPath(text)));
  if (existsSync(text)) {
    if (!statSync(text).isDirectory()) {
      throw new CheckpointError('is a file: pass the checkpoint directory that holds config.json', text);
    }
    return loadFromStore(localStore(text));
  }
  if (isHubRepoId(text) && options.cacheDir !== false) {
    return loadFromStore(
      hubCacheStore({
        repo: text,
        revision: options.revision ?? 'main',
        endpoint: options.endpoint ?? defaultHubEndpoint(),
        cacheDir: options.cacheDir ?? defaultCacheDir(),
        fetch: options.fetch ?? ((input, init) => fetch(input, init)),
        token: options.token,
        offline: options.offline,
        onProgress: options.onProgress,
      }),
    );
  }
  const store = remoteStore(text, options);
  if (!store) {
    throw new CheckpointError('is not a directory, an http(s) URL or a hub repo id (owner/name)', text);
  }
  if (options.offline) throw new CheckpointError('is a URL and offline is set', text);
  return loadFromStore(store);
}
