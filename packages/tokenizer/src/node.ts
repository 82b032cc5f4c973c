/**
 * Node entry of `@flan-ts/tokenizer`: everything from the main entry, plus loading from the file
 * system — a `.model`, a `tokenizer.json`, or a Hugging Face model directory.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { TextTokenizer } from './auto';
import { tokenizerFromBytes } from './auto';
import type { TokenizerConfig } from './config';
import { parseTokenizerConfig } from './config';
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

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** Reads `tokenizer_config.json` (a file, or the one in a directory). */
export async function loadTokenizerConfig(path: string): Promise<TokenizerConfig | undefined> {
  const file = (await stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  ))
    ? join(path, 'tokenizer_config.json')
    : path;
  const raw = await readJsonIfPresent(file);
  return raw ? parseTokenizerConfig(raw, file) : undefined;
}

async function fetchBytes(url: string, doFetch: typeof fetch): Promise<Uint8Array | undefined> {
  let response: Response;
  try {
    response = await doFetch(url);
  } catch (error) {
    throw new TokenizerError('NOT_FOUND', `cannot fetch ${url}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (response.status === 404) return undefined;
  if (!response.ok) throw new TokenizerError('NOT_FOUND', `cannot fetch ${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Loads a tokenizer of either kind as transformers' `AutoTokenizer` picks it: from a directory,
 * `tokenizer.json` first, else `spiece.model`/`tokenizer.model`, with `tokenizer_config.json`
 * beside it; a file is taken as it is; an `http(s)` URL of a file or folder, or a hub id
 * (`Qwen/Qwen3-0.6B`), is fetched the same way.
 */
export async function loadAutoTokenizer(
  location: string,
  options: { fetch?: typeof fetch; revision?: string } = {},
): Promise<TextTokenizer> {
  const isUrl = /^https?:\/\//.test(location);
  const local =
    !isUrl &&
    (await stat(location).then(
      () => true,
      () => false,
    ));
  if (local) {
    const isDirectory = (await stat(location)).isDirectory();
    const dir = isDirectory ? location : dirname(location);
    const config = await loadTokenizerConfig(join(dir, 'tokenizer_config.json'));
    let file = location;
    if (isDirectory) {
      const names = ['tokenizer.json', 'spiece.model', 'tokenizer.model'];
      const found: string[] = [];
      for (const name of names) if (await exists(join(location, name))) found.push(name);
      if (found.length === 0)
        throw new TokenizerError(
          'NOT_FOUND',
          `${location} has no tokenizer.json, spiece.model or tokenizer.model`,
        );
      file = join(location, found[0]!);
    }
    return tokenizerFromBytes(await readBytes(file), { source: file, ...(config ? { config } : {}) });
  }
  if (!isUrl && !HUB_ID.test(location))
    throw new TokenizerError('NOT_FOUND', `cannot read ${location}: no such file, directory, URL or hub id`);
  const doFetch = options.fetch ?? globalThis.fetch;
  const base = isUrl
    ? location.replace(/\/?$/, '/')
    : `https://huggingface.co/${location}/resolve/${options.revision ?? 'main'}/`;
  if (isUrl && /\.(json|model)$/.test(location)) {
    const bytes = await fetchBytes(location, doFetch);
    if (!bytes) throw new TokenizerError('NOT_FOUND', `cannot fetch ${location}: HTTP 404`);
    const configBytes = await fetchBytes(new URL('tokenizer_config.json', location).href, doFetch);
    const config = configBytes
      ? parseTokenizerConfig(JSON.parse(new TextDecoder().decode(configBytes)) as Record<string, unknown>)
      : undefined;
    return tokenizerFromBytes(bytes, { source: location, ...(config ? { config } : {}) });
  }
  const configBytes = await fetchBytes(base + 'tokenizer_config.json', doFetch);
  const config = configBytes
    ? parseTokenizerConfig(JSON.parse(new TextDecoder().decode(configBytes)) as Record<string, unknown>)
    : undefined;
  for (const name of ['tokenizer.json', 'spiece.model', 'tokenizer.model']) {
    const bytes = await fetchBytes(base + name, doFetch);
    if (bytes) return tokenizerFromBytes(bytes, { source: base + name, ...(config ? { config } : {}) });
  }
  throw new TokenizerError('NOT_FOUND', `${location} has no tokenizer.json, spiece.model or tokenizer.model`);
}
