/** `loadCheckpoint` for browsers (and Node without a cache): a directory URL or a hub repo id, over `fetch`. */
import { CheckpointError } from './errors';
import { fetchStore, type FetchLike } from './fetch-store';
import { defaultHubEndpoint, hubBaseUrl, isHubRepoId } from './hub';
import { loadFromStore, type LoadedCheckpoint } from './load';
import type { CheckpointStore, DownloadProgress } from './store';

export interface LoadCheckpointOptions {
  /** Hub revision: a branch, tag or commit (default `main`). */
  revision?: string;
  /** Hub endpoint (default `$HF_ENDPOINT` where there is an environment, else `https://huggingface.co`). */
  endpoint?: string;
  /** Replaces the global `fetch` (tests, proxies, custom headers). */
  fetch?: FetchLike;
  /** Hugging Face access token for private or gated repos, sent as a Bearer token. */
  token?: string;
  /** Called as weight files download: at the start (`loaded` 0) and after every chunk. */
  onProgress?: (progress: DownloadProgress) => void;
}

/** The store for a URL or hub id, or `undefined` when `source` is neither. */
export function remoteStore(
  source: string | URL,
  options: LoadCheckpointOptions,
): CheckpointStore | undefined {
  const text = String(source);
  const fetchOptions = { fetch: options.fetch, token: options.token, onProgress: options.onProgress };
  if (/^https?:\/\//i.test(text)) return fetchStore(text, fetchOptions);
  if (isHubRepoId(text)) {
    const base = hubBaseUrl(text, options.revision ?? 'main', options.endpoint ?? defaultHubEndpoint());
    return fetchStore(base, fetchOptions);
  }
  return undefined;
}

/**
 * Loads a T5 checkpoint in Hugging Face layout from the URL of its directory
 * (`https://example.org/models/flan-t5-small/`) or from the hub by repo id (`google/flan-t5-small`).
 * Nothing is cached: use the `@flan-ts/models/node` entry for local directories and a disk cache.
 *
 * @throws CheckpointError naming the file (and tensor) when the checkpoint is missing, corrupt or not a T5.
 */
export async function loadCheckpoint(
  source: string | URL,
  options: LoadCheckpointOptions = {},
): Promise<LoadedCheckpoint> {
  const store = remoteStore(source, options);
  if (!store) {
    throw new CheckpointError('is neither an http(s) URL nor a hub repo id (owner/name)', String(source));
  }
  return loadFromStore(store);
}
