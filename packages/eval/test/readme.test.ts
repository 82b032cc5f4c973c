import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { runExample, sharedFiles } from '@flan-ts/test-support';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const block = (marker: string) => {
  const found = blocks.filter((b) => b.includes(marker));
  expect(found).toHaveLength(1);
  return found[0]!;
};
const imports = {
  '@flan-ts/eval/node': 'packages/eval/src/node.ts',
  '@flan-ts/eval': 'packages/eval/src/index.ts',
  '@flan-ts/models/node': 'packages/models/src/node.ts',
  '@flan-ts/hub/node': 'packages/hub/src/node.ts',
};
const haveModel = sharedFiles('data/bbh', 'fixtures/models/flan-t5-tiny') !== undefined;

describe('README examples run', () => {
  it.skipIf(!haveModel)('evaluates flan-t5-tiny on two BBH tasks and prints the table', async () => {
    const calls = await runExample(block('evaluatePrompts(model'), imports);
    expect(calls).toHaveLength(1);
    const table = String(calls[0]![0]);
    expect(table).toContain('| Model | MMLU Direct | MMLU CoT | BBH Direct |');
    expect(table).toMatch(/\| navigate \| \d+\.\d \| 2 \| 0 \|/);
    expect(table).toMatch(/\| web_of_lies \| \d+\.\d \| 2 \| 0 \|/);
  });

  it.skipIf(!haveModel)('runEvaluation writes the reports; the resumed run computes nothing', async () => {
    const tensors = tf.memory().numTensors;
    const calls = await runExample(block('runEvaluation({'), imports);
    expect(calls).toEqual([
      ['bbh direct (generate) done'],
      ['mmlu direct (generate) done'],
      ['mmlu direct (rank) done'],
      [6, 0, ['json', 'markdown', 'html']],
      [0, 6],
    ]);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it.skipIf(!haveModel)('the Web Worker protocol example streams and resolves', async () => {
    const tensors = tf.memory().numTensors;
    const calls = await runExample(block('serveEvaluation(port1'), imports);
    expect(calls).toEqual([['2/3'], ['3/3'], [3, 3]]);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('scores outputs as the comments say', async () => {
    const calls = await runExample(block('scoreOutput('), imports);
    expect(calls).toEqual([
      [{ extracted: '(C)', correct: true }],
      [{ extracted: '48', correct: true, extracted_via: 'phrase' }],
      ['63'],
      ['23.512'],
    ]);
  });

  it('found the examples', () => expect(blocks.length).toBe(4));
});
