/**
 * One interface over both tokenizer kinds, and the choice between them: a `tokenizer.json` with a
 * BPE model runs the Hugging Face pipeline ({@link HfTokenizer}); a Unigram `tokenizer.json` or a
 * SentencePiece `.model` runs the T5 {@link Tokenizer}.
 */
import type { TokenizerConfig } from './config';
import { TokenizerError } from './errors';
import { HfTokenizer } from './hf/pipeline';
import type { DecodeOptions, EncodeOptions, Encoding } from './tokenizer';
import { Tokenizer } from './tokenizer';

/** What templates, training and evaluation need from a tokenizer, whichever kind it is. */
export interface TextTokenizer {
  /** Every id is below this. */
  readonly vocabSize: number;
  readonly modelMaxLength: number | undefined;
  /** `tokenizer_config.json`, when the tokenizer was loaded with one. */
  config?: TokenizerConfig;
  encode(text: string, options?: Pick<EncodeOptions, 'addSpecialTokens'>): Encoding;
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string;
  countTokens(text: string, options?: Pick<EncodeOptions, 'addSpecialTokens'>): number;
  idToToken(id: number): string | undefined;
  tokenToId(token: string): number | undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Builds the right tokenizer for the bytes of a `tokenizer.json` or `.model`, with its config. */
export function tokenizerFromBytes(
  bytes: Uint8Array,
  options: { source?: string; config?: TokenizerConfig } = {},
): TextTokenizer {
  const source = options.source ?? 'tokenizer';
  const head = new TextDecoder().decode(bytes.subarray(0, 64));
  let tokenizer: TextTokenizer;
  if (/^\s*\{/.test(head)) {
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch (error) {
      throw new TokenizerError('INVALID_MODEL', `${source}: not valid JSON (${(error as Error).message})`);
    }
    if (!isObject(json)) throw new TokenizerError('INVALID_MODEL', `${source}: expected a JSON object`);
    const model = json.model;
    if (isObject(model) && model.type === 'Unigram') {
      tokenizer = Tokenizer.fromJson(json, {
        source,
        ...(options.config?.modelMaxLength !== undefined
          ? { modelMaxLength: options.config.modelMaxLength }
          : {}),
      });
    } else {
      tokenizer = new HfTokenizer(json, {
        source,
        ...(options.config ? { config: options.config } : {}),
        cleanUpTokenizationSpaces: options.config?.cleanUpTokenizationSpaces === true,
        ...(options.config?.modelMaxLength !== undefined
          ? { modelMaxLength: options.config.modelMaxLength }
          : {}),
      });
    }
  } else {
    tokenizer = Tokenizer.fromBytes(bytes, {
      source,
      ...(options.config?.modelMaxLength !== undefined
        ? { modelMaxLength: options.config.modelMaxLength }
        : {}),
    });
  }
  if (options.config) tokenizer.config = options.config;
  return tokenizer;
}
