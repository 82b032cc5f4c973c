/**
 * A checkpoint behind URLs, read with `fetch` (browsers, or Node without a cache). Each safetensors
 * file is downloaded into one buffer and tensors are views of it where alignment allows, so a
 * loaded model costs one copy of its bytes.
 */
import { CheckpointError } from './errors';
import { safetensorsBytesReader } from './bytes-store';
import type { CheckpointStore, DownloadProgress, SafetensorsReader } from './store';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface FetchStoreOptions {
  fetch?: FetchLike;
  /** Sent as `Authorization: Bearer <token>` (private or gated hub repos). */
  token?: string;
  onProgress?: (progress: DownloadProgress) => void;
}

export function authHeaders(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** `fetch` that turns network failures and HTTP errors other than 404 into CheckpointErrors; 404 → undefined. */
export async function fetchOrMissing(
  fetchImpl: FetchLike,
  url: string,
  init: RequestInit = {},
): Promise<Response | undefined> {
  let response: Response;
  try {
    response = await fetchImpl(url, init);
  } catch (error) {
    throw new CheckpointError(`request failed: ${(error as Error).message}`, url);
  }
  if (response.status === 404) {
    await response.body?.cancel();
    return undefined;
  }
  if (response.ok || (response.status >= 300 && response.status < 400 && init.redirect === 'manual'))
    return response;
  await response.body?.cancel();
  const hint =
    response.status === 401 || response.status === 403
      ? ' (no such repo, or a private or gated one: pass a token)'
      : '';
  throw new CheckpointError(`HTTP ${response.status} ${response.statusText}${hint}`, url);
}

/** Declared body length, if any. */
export function contentLength(response: Response): number | undefined {
  const value = response.headers.get('content-length');
  const n = value === null ? NaN : Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * Reads a body into one buffer (preallocated when the length is declared), reporting progress and
 * rejecting a body shorter or longer than declared: a cut connection must not pass for a file.
 */
export async function readBody(
  response: Response,
  source: string,
  file: string,
  onProgress?: (progress: DownloadProgress) => void,
): Promise<Uint8Array> {
  const total = contentLength(response);
  onProgress?.({ file, loaded: 0, total });
  if (!response.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let out = total === undefined ? undefined : new Uint8Array(total);
  let loaded = 0;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      if (out) {
        if (loaded + chunk.byteLength > out.byteLength) {
          throw new CheckpointError(`server sent more than the ${total} bytes it declared`, source);
        }
        out.set(chunk, loaded);
      } else {
        chunks.push(chunk);
      }
      loaded += chunk.byteLength;
      onProgress?.({ file, loaded, total });
    }
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(
      `download interrupted after ${loaded} bytes: ${(error as Error).message}`,
      source,
    );
  }
  if (total !== undefined && loaded !== total) {
    throw new CheckpointError(`download truncated: ${loaded} of ${total} bytes`, source);
  }
  if (!out) {
    out = new Uint8Array(loaded);
    let at = 0;
    for (const chunk of chunks) {
      out.set(chunk, at);
      at += chunk.byteLength;
    }
  }
  return out;
}

/** The files under `baseUrl` (a directory URL; a trailing `/` is added). */
export function fetchStore(baseUrl: string, options: FetchStoreOptions = {}): CheckpointStore {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const headers = authHeaders(options.token);
  const url = (file: string) => new URL(file, base).href;
  return {
    describe: url,
    async readText(file) {
      const response = await fetchOrMissing(fetchImpl, url(file), { headers });
      return (
        response && new TextDecoder().decode(await readBody(response, url(file), file, options.onProgress))
      );
    },
    async locate(file) {
      const response = await fetchOrMissing(fetchImpl, url(file), { method: 'HEAD', headers });
      return response && url(file);
    },
    async openSafetensors(file): Promise<SafetensorsReader | undefined> {
      const source = url(file);
      const response = await fetchOrMissing(fetchImpl, source, { headers });
      if (!response) return undefined;
      return safetensorsBytesReader(await readBody(response, source, file, options.onProgress), source);
    },
  };
}
