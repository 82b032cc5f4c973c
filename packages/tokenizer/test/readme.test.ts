/** The README's byte-level BPE and chat-template examples run and print what they say. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runExample, sharedFile } from '@flan-ts/test-support';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
// The Qwen3 examples print their results; the older T5 blocks are illustrations.
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
  .map((m) => m[1]!)
  .filter((code) => code.includes('console.log'));
const imports = {
  '@flan-ts/tokenizer/node': 'packages/tokenizer/src/node.ts',
  '@flan-ts/tokenizer': 'packages/tokenizer/src/index.ts',
};

describe.skipIf(!sharedFile('fixtures/tokenizers/qwen3/tokenizer.json'))('README examples run', () => {
  it('found the examples', () => {
    expect(blocks).toHaveLength(2);
  });

  it('tokenizes with Qwen3', async () => {
    const calls = await runExample(blocks[0]!, imports);
    expect(calls).toEqual([
      [true, [9707, 11, 1879, 0, 220, 151645], ['Hello', ',', 'Ġworld', '!', 'Ġ', '<|im_end|>']],
      ['Hello, world! <|im_end|>', '|', 'Hello, world! '],
    ]);
  });

  it('renders a chat', async () => {
    const calls = await runExample(blocks[1]!, imports);
    expect(calls).toEqual([
      [JSON.stringify('<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n')],
      [14],
    ]);
  });
});
