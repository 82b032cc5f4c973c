/** The README's decoder-only example runs as written (against llama-tiny) and prints the reference tokens. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runExample, sharedFile } from '@flan-ts/test-support';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { loadCausalFixture } from './causal-fixtures';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Decoder-only models'));
const example = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? '';

describe.skipIf(!sharedFile('fixtures/models/llama-tiny/config.json'))('README decoder-only example', () => {
  it('generates the reference greedy tokens and scores the candidates, leaving no tensors', async () => {
    expect(example).toContain('loadModel(');
    const calls = await runExample(example, { '@flan-ts/models/node': 'packages/models/src/node.ts' });
    expect(tf.memory().numTensors).toBe(0);
    const ref = loadCausalFixture('llama-tiny').reference;
    expect(calls[0]![0]).toEqual(ref.greedy_generation.new_tokens_one_by_one);
    const sums = calls[1]![0] as number[];
    sums.forEach((s, i) => expect(Math.abs(s - ref.rank_classification.sum_logprob[i]!)).toBeLessThan(1e-4));
  });
});
