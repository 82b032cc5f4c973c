/** The reference cases of `data/eval` (see its README), read for the tests. */
import { readFileSync } from 'node:fs';
import { sharedFile } from '@flan-ts/test-support';

export const dataDir = sharedFile('data');

/** The records of `data/eval/<name>`, or undefined when the shared data is missing (outside CI). */
export function referenceRecords(name: string): Record<string, unknown>[] | undefined {
  const path = sharedFile(`data/eval/${name}`);
  if (path === undefined) return undefined;
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
