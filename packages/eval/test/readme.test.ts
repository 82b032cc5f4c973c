import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runExample, sharedFiles } from '@flan-ts/test-support';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const imports = {
  '@flan-ts/eval/node': 'packages/eval/src/node.ts',
  '@flan-ts/eval': 'packages/eval/src/index.ts',
  '@flan-ts/models/node': 'packages/models/src/node.ts',
  '@flan-ts/hub/node': 'packages/hub/src/node.ts',
};

describe('README examples run', () => {
  it.skipIf(!sharedFiles('data/bbh', 'fixtures/models/flan-t5-tiny'))(
    'evaluates flan-t5-tiny on two BBH tasks and prints the table',
    async () => {
      const calls = await runExample(blocks[0]!, imports);
      expect(calls).toHaveLength(1);
      const table = String(calls[0]![0]);
      expect(table).toContain('| Model | MMLU Direct | MMLU CoT | BBH Direct |');
      expect(table).toMatch(/\| navigate \| \d+\.\d \| 2 \| 0 \|/);
      expect(table).toMatch(/\| web_of_lies \| \d+\.\d \| 2 \| 0 \|/);
    },
  );

  it('scores outputs as the comments say', async () => {
    const calls = await runExample(blocks[1]!, imports);
    expect(calls).toEqual([
      [{ extracted: '(C)', correct: true }],
      [{ extracted: '48', correct: true, extracted_via: 'phrase' }],
      ['63'],
      ['23.512'],
    ]);
  });

  it('found the examples', () => expect(blocks.length).toBe(2));
});
