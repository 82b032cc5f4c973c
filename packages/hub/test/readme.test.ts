/** The README's example runs as written against the tiny fixture. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runExample, sharedFile } from '@flan-ts/test-support';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

const readme = readFileSync(join(fileURLToPath(new URL('..', import.meta.url)), 'README.md'), 'utf8');
const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';

describe.skipIf(!sharedFile('fixtures/models/flan-t5-tiny/config.json'))('README example', () => {
  it('loads model and tokenizer, prints d_model and ids, frees the model', async () => {
    const calls = await runExample(example, {
      '@flan-ts/hub/node': 'packages/hub/src/node.ts',
      '@flan-ts/models': 'packages/models/src/index.ts',
    });
    expect(calls.map(([d, ids]) => [d, Array.from(ids as ArrayLike<number>)])).toEqual([[64, [8774, 1]]]);
    expect(tf.memory().numTensors).toBe(0);
  });
});
