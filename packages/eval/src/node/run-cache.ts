/**
 * The per-example result cache of a run directory: JSONL files (`cache.jsonl`, or
 * `cache.shard-<i>.jsonl` per worker so processes never write the same file), one result per line,
 * keyed by {@link resultKey}. A run killed mid-write leaves a partial last line; it is skipped on
 * read (that example is recomputed) and the next result starts on a line of its own.
 */
import { existsSync } from 'node:fs';
import { appendFile, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExampleResult } from '../run/evaluate';

const CACHE_FILE = /^cache(\.shard-\d+)?\.jsonl$/;

/** The cache file one process appends to: `cache.jsonl`, or `cache.shard-<i>.jsonl` for worker i. */
export function cacheFileName(shard?: number): string {
  return shard === undefined ? 'cache.jsonl' : `cache.shard-${shard}.jsonl`;
}

/** Every cached result in `dir` (all cache files), by key; the last line for a key wins. */
export async function readResultCache(dir: string): Promise<Map<string, ExampleResult>> {
  const results = new Map<string, ExampleResult>();
  if (!existsSync(dir)) return results;
  for (const name of (await readdir(dir)).filter((n) => CACHE_FILE.test(n)).sort()) {
    const text = await readFile(join(dir, name), 'utf8');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        const r = JSON.parse(line) as ExampleResult;
        results.set(r.key, r);
      } catch {
        // A partial last line of an interrupted run: that example is simply recomputed.
      }
    }
  }
  return results;
}

/** Deletes every cache file in `dir` (a run that does not resume starts over). */
export async function clearResultCache(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  for (const name of (await readdir(dir)).filter((n) => CACHE_FILE.test(n))) await rm(join(dir, name));
}

/** Appends results to one cache file, after closing a partial last line left by an interruption. */
export class ResultCacheWriter {
  private checked = false;

  constructor(readonly path: string) {}

  async append(results: readonly ExampleResult[]): Promise<void> {
    if (!this.checked) {
      this.checked = true;
      const text = existsSync(this.path) ? await readFile(this.path, 'utf8') : '';
      if (text !== '' && !text.endsWith('\n')) await appendFile(this.path, '\n');
    }
    await appendFile(this.path, results.map((r) => JSON.stringify(r) + '\n').join(''));
  }
}
