/** The README's opening example runs as written (against the tiny fixture) and behaves as it says. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot, sharedFile, sharedRoot } from '@flan-ts/test-support';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
const opening = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';

describe.skipIf(!sharedFile('fixtures/models/flan-t5-tiny/config.json'))('README opening example', () => {
  it('loads, generates and rank-classifies without leaking tensors', async () => {
    expect(opening).toContain("from '@flan-ts/models/node'");
    const file = join(mkdtempSync(join(tmpdir(), 'flan-models-readme-')), 'example.ts');
    // The file lives outside the workspace: point its imports at the packages' sources.
    const runnable = opening
      .replaceAll("'@flan-ts/models/node'", JSON.stringify(join(packageDir, 'src/node.ts')))
      .replaceAll(
        "'@flan-ts/tokenizer/node'",
        JSON.stringify(join(repoRoot, 'packages/tokenizer/src/node.ts')),
      )
      .replaceAll("'../shared/", `'${sharedRoot}/`);
    writeFileSync(file, runnable);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    let calls: unknown[][];
    try {
      await import(/* @vite-ignore */ file);
    } finally {
      calls = [...log.mock.calls];
      log.mockRestore();
    }
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
