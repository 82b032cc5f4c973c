/**
 * The store behind a Node source: a local directory (or `file:` URL), a hub repo id through the disk
 * cache, or a directory URL. A path that exists wins over a repo id of the same spelling.
 */
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CheckpointError } from '../errors';
import { defaultHubEndpoint, isHubRepoId } from '../hub';
import { remoteStore } from '../load-remote';
import type { CheckpointStore } from '../store';
import { defaultCacheDir, hubCacheStore } from './hub-cache';
import type { NodeLoadCheckpointOptions } from './load';
import { localStore } from './local-store';

export function nodeStore(source: string | URL, options: NodeLoadCheckpointOptions = {}): CheckpointStore {
  const text = String(source);
  if (text.startsWith('file:')) return localStore(fileURLToPath(text));
  if (existsSync(text)) {
    if (!statSync(text).isDirectory()) {
      throw new CheckpointError('is a file: pass the checkpoint directory that holds config.json', text);
    }
    return localStore(text);
  }
  if (isHubRepoId(text) && options.cacheDir !== false) {
    return hubCacheStore({
      repo: text,
      revision: options.revision ?? 'main',
      endpoint: options.endpoint ?? defaultHubEndpoint(),
      cacheDir: options.cacheDir ?? defaultCacheDir(),
      fetch: options.fetch ?? ((input, init) => fetch(input, init)),
      token: options.token,
      offline: options.offline,
      onProgress: options.onProgress,
    });
  }
  const store = remoteStore(text, options);
  if (!store)
    throw new CheckpointError('is not a directory, an http(s) URL or a hub repo id (owner/name)', text);
  if (options.offline) throw new CheckpointError('is a URL and offline is set', text);
  return store;
}
