/** The README's opening example runs as written (against the tiny fixture) and behaves as it says. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runExample, sharedFile } from '@flan-ts/test-support';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
const opening = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';

describe.skipIf(!sharedFile('fixtures/models/flan-t5-tiny/config.json'))('README opening example', () => {
  it('loads, generates and rank-classifies without leaking tensors', async () => {
    expect(opening).toContain("from '@flan-ts/models/node'");
    const calls = await runExample(opening, {
      '@flan-ts/models/node': 'packages/models/src/node.ts',
      '@flan-ts/tokenizer/node': 'packages/tokenizer/src/node.ts',
    });
    // The example initialises the backend itself, in this test file's own process: nothing may be left.
    expect(tf.memory().numTensors).toBe(0);
    expect(calls).toHaveLength(2);
    const [newTokens, text] = calls[0] as [number[], string];
    expect(newTokens.length).toBeGreaterThan(0);
    expect(newTokens.length).toBeLessThanOrEqual(16);
    expect(newTokens.every((id) => Number.isInteger(id) && id >= 0 && id < 32100)).toBe(true);
    expect(typeof text).toBe('string');
    const [answer, scores] = calls[1] as [string, number[]];
    expect(['yes', 'no', 'maybe']).toContain(answer);
    expect(scores).toHaveLength(3);
    expect(scores.every((s) => Number.isFinite(s) && s < 0)).toBe(true);
    expect(scores[['yes', 'no', 'maybe'].indexOf(answer)]).toBe(Math.max(...scores));
  });
});
