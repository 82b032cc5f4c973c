/**
 * A model's identity for the result cache: the contents of its files (a local directory) or its hub
 * id / URL, plus the adapter's files, so a changed checkpoint never reuses stale results.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EvalError } from '../errors';

const MODEL_FILE = /\.(json|safetensors|model)$/;

/**
 * 16 hex digits of a SHA-256 over the model's (and the adapter's) config, weight and tokenizer files.
 * A source that looks like a path (`./`, `../`, `/`) but does not exist is an {@link EvalError}
 * (option `model`), so a typo is named before anything is loaded.
 */
export function modelFingerprint(model: string, adapter?: string): string {
  const hash = createHash('sha256');
  const addDir = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (!statSync(path).isFile() || !MODEL_FILE.test(name)) continue;
      hash.update(name).update(readFileSync(path));
    }
  };
  const isDir = existsSync(model) && statSync(model).isDirectory();
  if (!isDir && /^[./]/.test(model)) throw new EvalError(`no such directory ${model}`, 'model');
  if (isDir) addDir(model);
  else hash.update(`source:${model}`);
  if (adapter !== undefined) {
    if (!existsSync(adapter)) throw new EvalError(`no such directory ${adapter}`, 'adapter');
    hash.update('adapter');
    addDir(adapter);
  }
  return hash.digest('hex').slice(0, 16);
}
