/**
 * Saves both fixture models (F32 and BF16) with saveCheckpoint and has the official Python
 * libraries read them (checkpoint-hf-check.py). A script, not a test (it needs a Python with
 * `safetensors` and `transformers`):
 *
 *   cd packages/models && PYTHON=/path/to/python npx tsx test/checkpoint-hf-check.script.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedFile } from '@flan-ts/test-support';
import { loadCheckpoint } from '../src/checkpoint/node/load';
import { saveCheckpoint } from '../src/checkpoint/node/save';

const temp = mkdtempSync(join(tmpdir(), 'flan-hf-check-'));
try {
  const dirs: string[] = [];
  for (const name of ['t5-tiny', 'flan-t5-tiny']) {
    const source = sharedFile(`fixtures/models/${name}`);
    if (!source) throw new Error(`fixture ${name} is missing`);
    const checkpoint = await loadCheckpoint(source);
    for (const dtype of ['F32', 'BF16'] as const) {
      const dir = join(temp, `${name}-${dtype}`);
      await saveCheckpoint(dir, checkpoint, { dtype });
      dirs.push(dir);
    }
  }
  const script = join(dirname(fileURLToPath(import.meta.url)), 'checkpoint-hf-check.py');
  process.stdout.write(
    execFileSync(process.env.PYTHON ?? 'python3', [script, ...dirs], { encoding: 'utf8' }),
  );
} finally {
  rmSync(temp, { recursive: true, force: true });
}
