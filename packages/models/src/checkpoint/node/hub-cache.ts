/**
 * The hub through a disk cache, in the layout of the Hugging Face hub cache:
 *
 * ```
 * {cacheDir}/models--{owner}--{name}/
 *   refs/{revision}                      the commit the revision pointed to when first downloaded
 *   snapshots/{commit}/{file}            the files of that commit
 *   .no_exist/{commit}/{file}            empty: the hub has no such file (so we do not ask again)
 * ```
 *
 * Files are plain files (the hub client uses symlinks into `blobs/`), which `huggingface_hub`
 * reads too. A revision is resolved to a commit once (`x-repo-commit` of the first response); later
 * loads of that revision read the cache and make no requests. When a server sends no commit, the
 * revision name stands in for it. Downloads stream to the cache and are renamed into place whole.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError } from '../errors';
import { authHeaders, contentLength, fetchOrMissing, type FetchLike } from '../fetch-store';
import { hubBaseUrl, isCommitHash } from '../hub';
import type { CheckpointStore, DownloadProgress } from '../store';
import { writeAll, writeFileAtomic } from './atomic-file';
import { openSafetensorsFile } from './file-reader';

export interface HubCacheOptions {
  repo: string;
  revision: string;
  endpoint: string;
  cacheDir: string;
  fetch: FetchLike;
  token?: string;
  /** Never make a request: a file missing from the cache is an error. */
  offline?: boolean;
  onProgress?: (progress: DownloadProgress) => void;
}

/** `$FLAN_TS_CACHE`, else `$XDG_CACHE_HOME/flan-ts/hub`, else `~/.cache/flan-ts/hub`. */
export function defaultCacheDir(): string {
  if (process.env.FLAN_TS_CACHE) return process.env.FLAN_TS_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'flan-ts', 'hub');
}

/** The cache folder of one repo: `models--{owner}--{name}`, as the hub client names it. */
export function repoCacheDir(cacheDir: string, repo: string): string {
  return join(cacheDir, `models--${repo.split('/').join('--')}`);
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

function checkRevision(revision: string) {
  if (revision === '' || revision.startsWith('/') || revision.split('/').includes('..')) {
    throw new CheckpointError(`revision ${JSON.stringify(revision)} is not a branch, tag or commit`);
  }
}

async function download(
  response: Response,
  target: string,
  url: string,
  file: string,
  declaredSize: number | undefined,
  onProgress?: (progress: DownloadProgress) => void,
): Promise<void> {
  const total = contentLength(response) ?? declaredSize;
  let loaded = 0;
  onProgress?.({ file, loaded, total });
  await writeFileAtomic(target, async (handle) => {
    try {
      if (response.body) {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          await writeAll(handle, chunk);
          loaded += chunk.byteLength;
          onProgress?.({ file, loaded, total });
        }
      }
    } catch (error) {
      throw new CheckpointError(
        `download interrupted after ${loaded} bytes: ${(error as Error).message}`,
        url,
      );
    }
    if (total !== undefined && loaded !== total) {
      throw new CheckpointError(`download truncated: ${loaded} of ${total} bytes`, url);
    }
  });
}

export function hubCacheStore(options: HubCacheOptions): CheckpointStore {
  const { repo, revision, endpoint, cacheDir } = options;
  checkRevision(revision);
  const repoDir = repoCacheDir(cacheDir, repo);
  const refPath = join(repoDir, 'refs', revision);
  let commit: string | undefined = isCommitHash(revision)
    ? revision
    : isFile(refPath)
      ? readFileSync(refPath, 'utf8').trim()
      : undefined;
  const snapshot = () => commit ?? revision;
  const cachedPath = (file: string) => join(repoDir, 'snapshots', snapshot(), file);
  const headers = authHeaders(options.token);

  async function learnCommit(serverCommit: string | null | undefined) {
    if (commit !== undefined || !serverCommit || !isCommitHash(serverCommit)) return;
    commit = serverCommit;
    await writeFileAtomic(refPath, (handle) => writeAll(handle, new TextEncoder().encode(serverCommit)));
  }

  /** Local path of the file, downloading it on a cache miss; `undefined` when the hub has none. */
  async function ensure(file: string): Promise<string | undefined> {
    if (isFile(cachedPath(file))) return cachedPath(file);
    const noExist = join(repoDir, '.no_exist', snapshot(), file);
    if (isFile(noExist)) return undefined;
    if (options.offline) throw new CheckpointError('not in the cache, and offline is set', cachedPath(file));

    const url = hubBaseUrl(repo, snapshot(), endpoint) + file;
    // Redirects are followed by hand to read the commit the hub puts on the redirect itself (large
    // files are served from another host, whose response does not carry it).
    let response = await fetchOrMissing(options.fetch, url, { headers, redirect: 'manual' });
    let declaredSize: number | undefined;
    if (response && response.status >= 300 && response.status < 400) {
      const location = response.headers.get('location');
      if (!location) throw new CheckpointError(`HTTP ${response.status} without a location`, url);
      await learnCommit(response.headers.get('x-repo-commit'));
      const size = Number(response.headers.get('x-linked-size') ?? NaN);
      if (Number.isSafeInteger(size)) declaredSize = size;
      await response.body?.cancel();
      const next = new URL(location, url);
      // Credentials go to the hub only, not to the storage host it redirects to.
      const sameOrigin = next.origin === new URL(url).origin;
      response = await fetchOrMissing(options.fetch, next.href, { headers: sameOrigin ? headers : {} });
    }
    await learnCommit(response?.headers.get('x-repo-commit'));
    if (!response) {
      await writeFileAtomic(join(repoDir, '.no_exist', snapshot(), file), async () => {});
      return undefined;
    }
    const target = cachedPath(file);
    await download(response, target, url, file, declaredSize, options.onProgress);
    return target;
  }

  return {
    // The cached path once there is one; until then the URL it comes from.
    describe: (file) =>
      isFile(cachedPath(file)) ? cachedPath(file) : hubBaseUrl(repo, snapshot(), endpoint) + file,
    async readText(file) {
      const path = await ensure(file);
      return path === undefined ? undefined : readFile(path, 'utf8');
    },
    locate: ensure,
    async openSafetensors(file) {
      const path = await ensure(file);
      return path === undefined ? undefined : openSafetensorsFile(path);
    },
  };
}
