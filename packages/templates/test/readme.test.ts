import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runExample } from '@flan-ts/test-support';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
  .map((m) => m[1]!)
  .filter((code) => code.includes('import '));

describe('README examples run', () => {
  it.each(blocks.map((code, i) => [i, code] as const))('example %i', async (i, code) => {
    const calls = await runExample(code, {
      '@flan-ts/templates/node': 'packages/templates/src/node.ts',
      '@flan-ts/templates': 'packages/templates/src/index.ts',
    });
    if (i === 0) {
      expect(calls).toHaveLength(4);
      for (const [example] of calls)
        expect(Object.keys(example as object)).toEqual(['inputs', 'targets', 'task', 'template', 'format']);
    }
  });

  it('found the examples', () => {
    expect(blocks.length).toBe(2);
  });
});
