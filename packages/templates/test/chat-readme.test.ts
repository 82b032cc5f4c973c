/**
 * The README's conversation example (a ```typescript block, apart from the ```ts blocks that
 * readme.test.ts counts) runs with Qwen3's real chat template and prints what its comments say.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runExample, sharedFile } from '@flan-ts/test-support';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```typescript\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe.skipIf(!sharedFile('fixtures/tokenizers/qwen3/tokenizer_config.json'))(
  'README conversation example',
  () => {
    it('is there', () => {
      expect(blocks).toHaveLength(1);
    });

    it('renders a few-shot example as turns with the span of the reply', async () => {
      const calls = await runExample(blocks[0]!, {
        '@flan-ts/templates': 'packages/templates/src/index.ts',
        '@flan-ts/tokenizer/node': 'packages/tokenizer/src/node.ts',
        '@flan-ts/tokenizer': 'packages/tokenizer/src/index.ts',
      });
      expect(calls).toEqual([
        [
          [
            { role: 'user', content: 'What is the capital of Japan?' },
            { role: 'assistant', content: 'Tokyo' },
            { role: 'user', content: 'What is the capital of Kenya?' },
            { role: 'assistant', content: 'Nairobi' },
          ],
        ],
        [JSON.stringify('Nairobi<|im_end|>\n')],
        [38, 42, 'Nairobi<|im_end|>\n'],
      ]);
    });
  },
);
