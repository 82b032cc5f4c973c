/** The README's opening example runs as written (against the tiny fixture) and does what it says. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runExample, sharedFile } from '@flan-ts/test-support';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

const readme = readFileSync(join(fileURLToPath(new URL('..', import.meta.url)), 'README.md'), 'utf8');
const [example = '', causalExample = ''] = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe.skipIf(!sharedFile('fixtures/models/flan-t5-tiny/config.json'))('README example', () => {
  it('finetunes for 10 steps (the loss falls), saves, reloads and generates, leaving no tensors', async () => {
    const calls = await runExample(example, {
      '@flan-ts/models': 'packages/models/src/index.ts',
      '@flan-ts/models/node': 'packages/models/src/node.ts',
      '@flan-ts/tokenizer/node': 'packages/tokenizer/src/node.ts',
      '@flan-ts/train': 'packages/train/src/index.ts',
    });
    expect(calls).toHaveLength(2);
    const [first, last] = calls[0] as [number, number];
    expect(last).toBeLessThan(first - 1);
    expect(typeof calls[1]![0]).toBe('string');
    expect(tf.memory().numTensors).toBe(0);
  });

  it.skipIf(!sharedFile('fixtures/models/llama-tiny/config.json'))(
    'the decoder-only example LoRA-finetunes llama-tiny (the loss falls) and saves the adapter',
    async () => {
      const calls = await runExample(causalExample, {
        '@flan-ts/models': 'packages/models/src/index.ts',
        '@flan-ts/models/node': 'packages/models/src/node.ts',
        '@flan-ts/train/node': 'packages/train/src/node.ts',
      });
      expect(calls).toHaveLength(1);
      const [first, last] = calls[0] as [number, number];
      expect(last).toBeLessThan(first - 0.5);
      expect(tf.memory().numTensors).toBe(0);
    },
  );
});
