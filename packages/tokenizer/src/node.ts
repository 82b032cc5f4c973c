/**
 * Node entry of `@flan-ts/tokenizer`: everything from the main entry, plus loading from the file
 * system — a `.model`, a `tokenizer.json`, or a Hugging Face model directory.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TokenizerError } from './errors';
import type { SpecialToken } from './special-tokens';
import type { TokenizerOptions } from './tokenizer';
import { Tokenizer } from './tokenizer';

export * from './index';

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new TokenizerError('NOT_FOUND', `cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

async function readJsonIfPresent(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TokenizerError('NOT_FOUND', `cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TokenizerError('INVALID_MODEL', `${path}: not valid JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new TokenizerError('INVALID_MODEL', `${path}: expected a JSON object`);
  return value as Record<string, unknown>;
}

/** Loads a `.model` or `tokenizer.json` file. */
export async function loadTokenizerFile(path: string, options: TokenizerOptions = {}): Promise<Tokenizer> {
  return Tokenizer.fromBytes(await readBytes(path), { source: path, ...options });
}

function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

/**
 * Special tokens from `tokenizer_config.json` (`added_tokens_decoder`, as Hugging Face writes it), or
 * `undefined` when it has none, so the T5 defaults apply.
 */
function specialTokensFromConfig(config: Record<string, unknown>, path: string): SpecialToken[] | undefined {
  const decoder = config.added_tokens_decoder;
  if (decoder === undefined) return undefined;
  if (decoder === null || typeof decoder !== 'object')
    throw new TokenizerError('INVALID_MODEL', `${path}: "added_tokens_decoder" must be an object`);
  return Object.entries(decoder as Record<string, unknown>).map(([key, value]) => {
    const entry = value as Record<string, unknown>;
    const id = Number(key);
    if (!Number.isInteger(id) || typeof entry?.content !== 'string') {
      throw new TokenizerError(
        'INVALID_MODEL',
        `${path}: added_tokens_decoder["${key}"] needs an integer key and a string "content"`,
      );
    }
    return { content: entry.content, id, lstrip: entry.lstrip === true, rstrip: entry.rstrip === true };
  });
}

/**
 * Loads a Hugging Face model directory: `spiece.model` (or `tokenizer.json` when there is no
 * `.model`), with `tokenizer_config.json` and `special_tokens_map.json` when present.
 */
export async function loadTokenizerDirectory(
  dir: string,
  options: TokenizerOptions = {},
): Promise<Tokenizer> {
  const config = (await readJsonIfPresent(join(dir, 'tokenizer_config.json'))) ?? {};
  const map = (await readJsonIfPresent(join(dir, 'special_tokens_map.json'))) ?? {};
  const configPath = join(dir, 'tokenizer_config.json');
  const fromConfig: TokenizerOptions = {};
  const specialTokens = specialTokensFromConfig(config, configPath);
  if (specialTokens) fromConfig.specialTokens = specialTokens;
  if (typeof config.extra_ids === 'number') fromConfig.extraIds = config.extra_ids;
  else if (Array.isArray(map.additional_special_tokens)) {
    fromConfig.extraIds = map.additional_special_tokens.filter((t) =>
      /^<extra_id_\d+>$/.test(tokenText(t) ?? ''),
    ).length;
  }
  // model_max_length is a huge sentinel (1e30) when a checkpoint sets none: treat it as unset.
  if (typeof config.model_max_length === 'number' && config.model_max_length < 1e9)
    fromConfig.modelMaxLength = config.model_max_length;

  for (const name of ['spiece.model', 'tokenizer.model', 'tokenizer.json']) {
    const path = join(dir, name);
    const exists = await stat(path).then(
      (s) => s.isFile(),
      () => false,
    );
    if (exists) return loadTokenizerFile(path, { ...fromConfig, ...options });
  }
  throw new TokenizerError('NOT_FOUND', `${dir} has no spiece.model, tokenizer.model or tokenizer.json`);
}

/** Loads a tokenizer from a `.model` file, a `tokenizer.json` file or a model directory. */
export async function loadTokenizer(path: string, options: TokenizerOptions = {}): Promise<Tokenizer> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (error) {
    throw new TokenizerError('NOT_FOUND', `cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (isDirectory) return loadTokenizerDirectory(path, options);
  return loadTokenizerFile(path, options);
}
