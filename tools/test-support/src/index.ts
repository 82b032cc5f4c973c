/**
 * Finds the shared fixtures and data (`../shared` beside the repository, or `$FLAN_SHARED`).
 *
 * Tests use {@link sharedFile} to decide whether to run: outside CI a missing fixture skips the
 * test, but with `CI=true` it throws, so a CI run can never pass by silently skipping.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const isCI = process.env.CI === 'true' || process.env.CI === '1';

function findRepoRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`flan-ts repository root (nx.json) not found above ${start}`);
    dir = parent;
  }
}

export const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

/** The shared folder: `$FLAN_SHARED` if set, else `../shared` beside the repository root. */
export const sharedRoot = resolve(process.env.FLAN_SHARED ?? join(repoRoot, '..', 'shared'));

/**
 * Absolute path of a file or folder under the shared root, or `undefined` when it is missing.
 * With `CI=true` a missing path throws instead.
 */
export function sharedFile(relativePath: string): string | undefined {
  const path = join(sharedRoot, relativePath);
  if (existsSync(path)) return path;
  if (isCI) {
    throw new Error(
      `CI=true and the shared fixture ${path} is missing (set FLAN_SHARED or place shared/ beside the repo)`,
    );
  }
  return undefined;
}

/** Like {@link sharedFile} for several paths: all of them, or `undefined` if any is missing. */
export function sharedFiles<const T extends readonly string[]>(
  ...relativePaths: T
): { [K in keyof T]: string } | undefined {
  const found = relativePaths.map((p) => sharedFile(p));
  return found.every((p) => p !== undefined) ? (found as { [K in keyof T]: string }) : undefined;
}

export { seededUniform, uniformFloats } from './random';
export { runExample } from './readme';

export { tinyByteLevelBpe, writeLlamaTinyWithBpe, type TinyBpe } from './tiny-bpe';
