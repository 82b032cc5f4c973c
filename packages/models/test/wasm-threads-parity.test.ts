import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The parity tests on the kernel configurations the default run does not cover. The default run uses
 * the default thread count (the cores: 2 here) and, on Node 20, the mul + add GEMM; each row here reruns
 * the key parity tests in a child vitest: on 1 thread, and on 2 threads with relaxed SIMD's fused
 * multiply-add (Node 20 through `--experimental-wasm-relaxed-simd`, passed to vitest's workers; Node 22
 * needs no flag). `wasm-fma.test.ts` checks in each child that the intended variant is the one running.
 */
const PARITY_TESTS = [
  'test/wasm-fma.test.ts',
  'test/t5-forward.test.ts',
  'test/gradients.test.ts',
  'test/generation-parity.test.ts',
  'test/packing.test.ts',
  'test/wasm-gemm.test.ts',
  'test/wasm-fused.test.ts',
];

const vitest = join(createRequire(import.meta.url).resolve('vitest/package.json'), '..', 'vitest.mjs');

/** The environment without vitest's own variables (the child is a fresh vitest, not a worker). */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('VITEST') && !/^(TINYPOOL_WORKER_ID|FLAN_THREADS|FORCE_COLOR)$/.test(key))
      env[key] = value;
  }
  return { ...env, NO_COLOR: '1', FORCE_COLOR: '0', ...extra };
}

describe('parity tests on other kernel configurations', () => {
  it.each([
    ['1 thread, mul + add', { FLAN_THREADS: '1', FLAN_EXPECT_FMA: '0' }, []],
    [
      '2 threads, fused multiply-add (relaxed SIMD)',
      { FLAN_THREADS: '2', FLAN_EXPECT_FMA: '1' },
      ['--execArgv=--experimental-wasm-relaxed-simd'],
    ],
  ] as [string, Record<string, string>, string[]][])(
    '%s',
    (_name, env, args) => {
      const child = spawnSync(process.execPath, [vitest, 'run', ...args, ...PARITY_TESTS], {
        cwd: join(__dirname, '..'),
        env: childEnv(env),
        encoding: 'utf8',
        timeout: 900_000,
      });
      const output = `${child.stdout}\n${child.stderr}`;
      expect(output, output.slice(-4000)).toMatch(/Test Files\s+7 passed/);
      expect(child.status, output.slice(-4000)).toBe(0);
    },
    960_000,
  );
});
