import { defineConfig } from 'vitest/config';

/** Test settings every workspace shares: sources of sibling packages resolve through the `@flan-ts/source` condition. */
export function workspaceTestConfig(options: { testTimeout?: number } = {}) {
  return defineConfig({
    resolve: { conditions: ['@flan-ts/source'] },
    ssr: { resolve: { conditions: ['@flan-ts/source'] } },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: options.testTimeout ?? 60_000,
      hookTimeout: options.testTimeout ?? 60_000,
      pool: 'forks',
      maxWorkers: 2,
    },
  });
}
