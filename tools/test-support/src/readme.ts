/** Runs the TypeScript examples of the packages' READMEs as written, for the README tests. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, sharedRoot } from './index';

/**
 * Runs `code` as a module and returns the arguments of its `console.log` calls (which are silenced).
 * The file lives outside the workspace, so `imports` maps each package specifier it uses to a source
 * file (relative to the repository root), and `'../shared/…'` paths point at the shared folder.
 */
export async function runExample(code: string, imports: Record<string, string>): Promise<unknown[][]> {
  let runnable = code.replaceAll("'../shared/", `'${sharedRoot}/`);
  for (const [specifier, path] of Object.entries(imports)) {
    runnable = runnable.replaceAll(`'${specifier}'`, JSON.stringify(join(repoRoot, path)));
  }
  const file = join(mkdtempSync(join(tmpdir(), 'flan-readme-')), 'example.ts');
  writeFileSync(file, runnable);
  const calls: unknown[][] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => calls.push(args);
  try {
    await import(/* @vite-ignore */ file);
  } finally {
    console.log = log;
  }
  return calls;
}
