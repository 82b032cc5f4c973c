import { defineConfig } from 'tsup';

// The CLI is an app, not a library: ESM only, packages stay external (resolved from the workspace).
export default defineConfig({
  entry: { flan: 'src/flan.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: true,
  dts: false,
});
