import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileModule, generatedSource, moduleNames } from '../scripts/build-wasm';

describe('generated wasm kernel modules', () => {
  // A `-relaxed` module is the relaxed-SIMD build of the source without the suffix.
  it.each(moduleNames().map((name) => [name, name.replace(/-relaxed$/, '')]))(
    'src/kernels/wasm/generated/%s.ts is a fresh build of assembly/%s.ts',
    async (name) => {
      const committed = readFileSync(join(__dirname, '../src/kernels/wasm/generated', `${name}.ts`), 'utf8');
      expect(committed).toBe(generatedSource(name, await compileModule(name)));
    },
  );
});
