/** Shared shapes of the `tokenizer.json` pipeline modules. */
import { TokenizerError } from '../errors';

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A component type this library does not implement: named, so the user knows what to look for. */
export function unknownComponent(source: string, kind: string, value: unknown): never {
  const type = isObject(value) ? JSON.stringify(value.type) : JSON.stringify(value);
  throw new TokenizerError('UNSUPPORTED_MODEL', `${source}: ${kind} type ${type} is not supported`);
}

export function invalidComponent(source: string, detail: string): never {
  throw new TokenizerError('INVALID_MODEL', `${source}: ${detail}`);
}

/** The `pattern` of Split/Replace: `{String}` (a literal) or `{Regex}`, as a global RegExp. */
export interface PatternSpec {
  String?: string;
  Regex?: string;
}
