import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = fileURLToPath(new URL('../src', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('entry points', () => {
  it('the main entry is browser-safe: no node: imports outside src/node and src/node.ts', () => {
    const offenders = files(src)
      .filter((f) => !relative(src, f).startsWith('node'))
      .filter((f) => /from ['"]node:|import\(['"]node:/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('index never imports from the node folder', () => {
    const imports = files(src)
      .filter((f) => !relative(src, f).startsWith('node'))
      .filter((f) => /from ['"]\.\.?\/(node\/|node['"])/.test(readFileSync(f, 'utf8')));
    expect(imports).toEqual([]);
  });
});
