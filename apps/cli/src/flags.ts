/** Parsers for command-line flag values: a bad value is a CliError naming the flag. */
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
