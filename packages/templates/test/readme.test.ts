import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedRoot } from '@flan-ts/test-support';
import { describe, expect, it, vi } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
  .map((m) => m[1]!)
  .filter((code) => code.includes('import '));

describe('README examples run', () => {
  it.each(blocks.map((code, i) => [i, code] as const))('example %i', async (i, code) => {
    const runnable = code
      .replaceAll("'@flan-ts/templates/node'", JSON.stringify(join(packageDir, 'src/node.ts')))
      .replaceAll("'@flan-ts/templates'", JSON.stringify(join(packageDir, 'src/index.ts')))
      .replaceAll("'../shared/", `'${sharedRoot}/`);
    const file = join(mkdtempSync(join(tmpdir(), 'flan-readme-')), `example${i}.ts`);
    writeFileSync(file, runnable);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    let calls: unknown[][];
    try {
      await import(/* @vite-ignore */ file);
    } finally {
      calls = [...log.mock.calls];
      log.mockRestore();
    }
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
