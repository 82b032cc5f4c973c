/**
 * `fetch` through Cache Storage: a model file downloaded once is read from the cache after a reload.
 * HEAD requests (the loader asks whether a file exists) are answered from a cached GET when there is one.
 */
const CACHE = 'flan-ts-models-v1';

export type CachedFetch = (input: string, init?: RequestInit) => Promise<Response>;

/** A fetch that reports, per URL, whether it came from the cache. */
export function cachedFetch(onHit: (url: string, cached: boolean) => void): CachedFetch {
  return async (input, init = {}) => {
    const cache = typeof caches === 'undefined' ? undefined : await caches.open(CACHE);
    const method = (init.method ?? 'GET').toUpperCase();
    const hit = await cache?.match(input);
    if (hit) {
      onHit(input, true);
      return method === 'HEAD' ? new Response(null, { status: 200, headers: hit.headers }) : hit;
    }
    const response = await fetch(input, init);
    onHit(input, false);
    // Only whole files are kept (no errors, no partial bodies).
    if (cache && method === 'GET' && response.status === 200) await cache.put(input, response.clone());
    return response;
  };
}
