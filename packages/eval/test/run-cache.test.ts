/** The result cache files and the shard arithmetic the worker processes share. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExampleResult } from '../src/index';
import {
  cacheFileName,
  clearResultCache,
  ownsBatch,
  parseShard,
  readResultCache,
  ResultCacheWriter,
} from '../src/node';

const result = (key: string, correct: boolean) => ({ key, correct }) as unknown as ExampleResult;

describe('result cache', () => {
  it('reads every cache file, skips a cut-off line, and appends on a line of its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flan-eval-cache-'));
    writeFileSync(join(dir, 'cache.shard-0.jsonl'), '{"key":"a","correct":true}\n{"key":"b","corr');
    writeFileSync(join(dir, 'cache.shard-1.jsonl'), '{"key":"c","correct":false}\n');
    writeFileSync(join(dir, 'other.jsonl'), '{"key":"z","correct":false}\n');
    expect([...(await readResultCache(dir)).keys()]).toEqual(['a', 'c']);
    const writer = new ResultCacheWriter(join(dir, cacheFileName(0)));
    await writer.append([result('b', true)]);
    await writer.append([result('d', false)]);
    expect(readFileSync(join(dir, 'cache.shard-0.jsonl'), 'utf8').split('\n')).toEqual([
      '{"key":"a","correct":true}',
      '{"key":"b","corr',
      '{"key":"b","correct":true}',
      '{"key":"d","correct":false}',
      '',
    ]);
    expect([...(await readResultCache(dir)).keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
    await clearResultCache(dir);
    expect((await readResultCache(dir)).size).toBe(0);
    expect(readFileSync(join(dir, 'other.jsonl'), 'utf8')).not.toBe('');
  });

  it('a new cache file starts without a blank line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flan-eval-cache-'));
    writeFileSync(join(dir, 'cache.jsonl'), '');
    await new ResultCacheWriter(join(dir, 'cache.jsonl')).append([result('a', true)]);
    expect(readFileSync(join(dir, 'cache.jsonl'), 'utf8')).toBe('{"key":"a","correct":true}\n');
  });

  it('shards: worker i of n takes batches i, i + n, …; a bad shard is named', () => {
    const shard = parseShard('1/3');
    expect([0, 1, 2, 3, 4, 5, 6, 7].filter((b) => ownsBatch(shard, b))).toEqual([1, 4, 7]);
    expect(ownsBatch(undefined, 5)).toBe(true);
    for (const bad of ['3/3', '1', 'a/b', '0/0'])
      expect(() => parseShard(bad)).toThrow(`expected i/n with 0 <= i < n, got "${bad}"`);
  });
});
