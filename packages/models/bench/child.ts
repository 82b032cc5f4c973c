/**
 * The benchmarks' engine processes: each engine and phase runs in a child of its own (its peak memory
 * is its own, and an exhausted wasm heap ends only that child), which prints one JSON line last.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadEnv } from './spec';

export const benchDir = dirname(fileURLToPath(import.meta.url));
export const packageDir = dirname(benchDir);

/**
 * Runs a command at `threads` compute threads (`threadEnv`), streaming its stderr, and logs how long
 * it took; returns its last stdout line parsed as JSON, or why there is none.
 */
export function runJson<T>(
  command: string,
  args: string[],
  options: { timeoutS: number; threads: number; log: (message: string) => void },
): { value?: T; error?: string } {
  const started = performance.now();
  const child = spawnSync(command, args, {
    cwd: packageDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
    timeout: options.timeoutS * 1000,
    env: { ...process.env, ...threadEnv(options.threads) },
  });
  options.log(
    `${[command, ...args].map((a) => a.replace(packageDir + '/', '')).join(' ')}: ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const last = child.stdout?.trim().split('\n').pop() ?? '';
  if (child.status === 0 && (last.startsWith('{') || last.startsWith('['))) {
    try {
      return { value: JSON.parse(last) as T };
    } catch {
      // fall through to the error below
    }
  }
  const why =
    child.error?.message ?? (child.signal ? `killed by ${child.signal}` : `exit code ${child.status}`);
  return { error: `${why}${last ? `: ${last.slice(0, 300)}` : ''}` };
}

/** `node` running a TypeScript file of bench/ from the sources (`nodeFlags` before the script). */
export function tsxWith(nodeFlags: string[], script: string, ...args: string[]): [string, string[]] {
  return [
    process.execPath,
    [...nodeFlags, '--conditions=@flan-ts/source', '--import', 'tsx', join(benchDir, script), ...args],
  ];
}

export function tsx(script: string, ...args: string[]): [string, string[]] {
  return tsxWith([], script, ...args);
}
