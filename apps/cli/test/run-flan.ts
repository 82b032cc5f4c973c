/** Runs the built `flan` CLI as a user would, for the end-to-end tests. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '@flan-ts/test-support';

export interface FlanRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node apps/cli/bin/flan.js ...args` with `input` on stdin. */
export function runFlan(
  args: readonly string[],
  input = '',
  env: NodeJS.ProcessEnv = process.env,
): Promise<FlanRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'apps/cli/bin/flan.js'), ...args], {
      cwd: repoRoot,
      env,
    });
    let stdout = '';
    let stderr = '';
    // Decode as a stream: a multi-byte character may straddle two chunks.
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (stdout += d));
    child.stderr.on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** The non-empty lines of a CLI's output. */
export const outputLines = (text: string): string[] => text.split('\n').filter((l) => l !== '');
