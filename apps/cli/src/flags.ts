/** Parsers for command-line flag values: a bad value is a CliError naming the flag. */
import type { Command } from 'commander';
import { CliError } from './io';

/** An integer ≥ `min`, written as plain digits. */
export function integerFlag(flag: string, min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min)
      throw new CliError(`${flag} must be an integer >= ${min}, got "${value}"`);
    return n;
  };
}

/** Any finite number. */
export function numberFlag(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n))
      throw new CliError(`${flag} must be a number, got "${value}"`);
    return n;
  };
}

export const BACKENDS = ['wasm', 'cpu', 'webgpu'] as const;
export type Backend = (typeof BACKENDS)[number];

export function backendFlag(value: string): Backend {
  if (!(BACKENDS as readonly string[]).includes(value))
    throw new CliError(`--backend must be one of ${BACKENDS.join(', ')}, got "${value}"`);
  return value as Backend;
}

/**
 * Adds `--threads N` (threads of the wasm kernels, the calling thread included; default: the number
 * of cores) to a command that runs a model. The count is handed to `setNumThreads` before the action
 * runs, so the command's own `initNodeBackend` starts that many.
 */
export function threadsOption(command: Command): Command {
  return command
    .option(
      '--threads <n>',
      'threads of the wasm kernels (default: the number of cores)',
      integerFlag('--threads', 1),
    )
    .hook('preAction', async (_command, action) => {
      const threads = action.opts().threads as number | undefined;
      if (threads === undefined) return;
      const { setNumThreads } = await import('@flan-ts/models/node');
      await setNumThreads(threads);
    });
}
