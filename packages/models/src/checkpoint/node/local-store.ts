/** A checkpoint in a local directory. */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CheckpointError } from '../errors';
import type { CheckpointStore } from '../store';
import { openSafetensorsFile } from './file-reader';

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

export function localStore(directory: string): CheckpointStore {
  const dir = resolve(directory);
  const path = (file: string) => join(dir, file);
  return {
    describe: path,
    async readText(file) {
      if (!isFile(path(file))) return undefined;
      try {
        return await readFile(path(file), 'utf8');
      } catch (error) {
        throw new CheckpointError(`cannot read: ${(error as Error).message}`, path(file));
      }
    },
    async locate(file) {
      return isFile(path(file)) ? path(file) : undefined;
    },
    async openSafetensors(file) {
      return isFile(path(file)) ? openSafetensorsFile(path(file)) : undefined;
    },
  };
}
