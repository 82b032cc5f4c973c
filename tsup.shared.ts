import type { Options } from 'tsup';

/**
 * The build every published package shares: ESM + CJS + .d.ts, one file per entry.
 * `entry` maps export names to sources, e.g. `{ index: 'src/index.ts', node: 'src/node.ts' }`.
 */
export function packageBuild(entry: Record<string, string>, overrides: Options = {}): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    splitting: false,
    treeshake: true,
    ...overrides,
  };
}
