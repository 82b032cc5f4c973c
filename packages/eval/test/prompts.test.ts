/** Every record of `data/eval/prompts.jsonl` rendered again from the data directory, field for field. */
import { describe, expect, it } from 'vitest';
import { loadTaskPrompts, type PromptRecord } from '../src/node';
import { dataDir, referenceRecords } from './fixtures';

const references = referenceRecords('prompts.jsonl');

describe.skipIf(!references || !dataDir)('prompts.jsonl', () => {
  it('reproduces every record exactly, in field order', async () => {
    const cache = new Map<string, PromptRecord[]>();
    const mismatches: string[] = [];
    for (const ref of references!) {
      const key = `${ref.benchmark}/${ref.format}/${ref.task}`;
      if (!cache.has(key))
        cache.set(
          key,
          await loadTaskPrompts(dataDir!, ref.benchmark as string, ref.format as string, ref.task as string),
        );
      const got = cache.get(key)!.find((p) => p.example_id === ref.example_id);
      if (JSON.stringify(got) !== JSON.stringify(ref)) mismatches.push(`${key} ${ref.example_id as string}`);
    }
    expect(mismatches).toEqual([]);
    expect(references!.length).toBe(265);
  });
});
