/**
 * A `tokenizer.json` run as Hugging Face `tokenizers` runs it: added tokens split out, normalizer,
 * pre-tokenizer, model, post-processor on encode; token strings through the decoder on decode.
 * Every component is built when the file is read, so an unknown one fails before any text is seen.
 */
import type { TokenizerConfig } from '../config';
import { TokenizerError } from '../errors';
import { assertText } from '../sentencepiece/processor';
import type { DecodeOptions, EncodeOptions, Encoding } from '../tokenizer';
import type { AddedToken, Segment } from './added-tokens';
import { AddedTokenMatcher, parseAddedTokens } from './added-tokens';
import { applyBosEosFlags } from './bos-eos';
import { BpeModel } from './bpe';
import type { Decoder } from './decoders';
import { buildDecoder } from './decoders';
import type { Normalizer } from './normalizers';
import { buildNormalizer } from './normalizers';
import type { PostProcessor } from './post-processors';
import { buildPostProcessor } from './post-processors';
import type { Piece, PreTokenizer } from './pre-tokenizers';
import { buildPreTokenizer } from './pre-tokenizers';
import type { Json } from './types';
import { invalidComponent, isObject, unknownComponent } from './types';

/** Options of {@link HfTokenizer} beyond what `tokenizer.json` holds (usually from `tokenizer_config.json`). */
export interface HfTokenizerOptions {
  /** Name used in error messages (a path or URL). */
  source?: string;
  /** transformers' `clean_up_tokenization_spaces` on decode (`" ."` → `"."` and the like). Default false. */
  cleanUpTokenizationSpaces?: boolean;
  /** `model_max_length`, for callers that truncate. */
  modelMaxLength?: number;
  /**
   * `tokenizer_config.json`: its `add_bos_token` / `add_eos_token` are applied to the post-processor as
   * transformers does (see `bos-eos.ts`), and it becomes {@link HfTokenizer.config}.
   */
  config?: TokenizerConfig;
}

/** Tokenizer-side strings of one encoded text, as `tokenizers`' `Encoding.tokens`. */
class HfEncoding implements Encoding {
  constructor(
    readonly ids: Int32Array,
    readonly pieces: string[],
  ) {}

  toJSON(): { ids: number[]; pieces: string[] } {
    return { ids: Array.from(this.ids), pieces: this.pieces };
  }
}

// transformers' `clean_up_tokenization`: spaces before punctuation and contractions removed.
const CLEANUPS: [string, string][] = [
  [' .', '.'],
  [' ?', '?'],
  [' !', '!'],
  [' ,', ','],
  [" ' ", "'"],
  [" n't", "n't"],
  [" 'm", "'m"],
  [" 's", "'s"],
  [" 've", "'ve"],
  [" 're", "'re"],
];

export class HfTokenizer {
  readonly model: BpeModel;
  readonly addedTokens: readonly AddedToken[];
  readonly vocabSize: number;
  readonly modelMaxLength: number | undefined;
  readonly source: string;
  /** `tokenizer_config.json`, when loaded through `loadAutoTokenizer`. */
  config?: TokenizerConfig;
  private readonly normalizer: Normalizer | undefined;
  private readonly preTokenizer: PreTokenizer | undefined;
  private readonly postProcessor: PostProcessor | undefined;
  private readonly decoder: Decoder | undefined;
  private readonly rawMatcher: AddedTokenMatcher;
  private readonly normalizedMatcher: AddedTokenMatcher;
  private readonly hasNormalizedTokens: boolean;
  private readonly addedById = new Map<number, AddedToken>();
  private readonly addedByContent = new Map<string, AddedToken>();
  private readonly cleanUp: boolean;

  constructor(json: Json, options: HfTokenizerOptions = {}) {
    const source = options.source ?? 'tokenizer.json';
    this.source = source;
    const model = json.model;
    if (!isObject(model)) invalidComponent(source, 'missing "model" object');
    // A BPE model may omit "type" in older files; it is recognised by its merges.
    const modelType = model.type ?? ('merges' in model ? 'BPE' : undefined);
    if (modelType !== 'BPE') unknownComponent(source, 'model', { type: modelType });
    this.model = BpeModel.fromJson(model, source);
    this.normalizer = buildNormalizer(json.normalizer, source);
    this.preTokenizer = buildPreTokenizer(json.pre_tokenizer, source);
    const postProcessor = buildPostProcessor(json.post_processor, source);
    this.decoder = buildDecoder(json.decoder, source);
    this.addedTokens = parseAddedTokens(json.added_tokens, source);
    for (const t of this.addedTokens) {
      this.addedById.set(t.id, t);
      this.addedByContent.set(t.content, t);
    }
    this.postProcessor = options.config
      ? applyBosEosFlags(postProcessor, options.config, (t) => this.tokenToId(t), 'tokenizer_config.json')
      : postProcessor;
    if (options.config) this.config = options.config;
    this.rawMatcher = new AddedTokenMatcher(this.addedTokens.filter((t) => !t.normalized));
    const normalized = this.addedTokens.filter((t) => t.normalized);
    this.hasNormalizedTokens = normalized.length > 0;
    this.normalizedMatcher = new AddedTokenMatcher(normalized);
    let size = this.model.tokens.length;
    for (const t of this.addedTokens) size = Math.max(size, t.id + 1);
    this.vocabSize = size;
    this.modelMaxLength = options.modelMaxLength;
    this.cleanUp = options.cleanUpTokenizationSpaces === true;
  }

  /** Parses `tokenizer.json` text (or its object) into a tokenizer. */
  static fromJson(json: string | Json, options: HfTokenizerOptions = {}): HfTokenizer {
    let root: unknown = json;
    if (typeof json === 'string') {
      try {
        root = JSON.parse(json);
      } catch (error) {
        throw new TokenizerError(
          'INVALID_MODEL',
          `${options.source ?? 'tokenizer.json'}: not valid JSON (${(error as Error).message})`,
        );
      }
    }
    if (!isObject(root)) invalidComponent(options.source ?? 'tokenizer.json', 'expected a JSON object');
    return new HfTokenizer(root, options);
  }

  /** The token string of `id` (an added token's content, else the vocabulary entry), or undefined. */
  idToToken(id: number): string | undefined {
    return this.addedById.get(id)?.content ?? this.model.tokens[id];
  }

  /** The id of a token string, or undefined. */
  tokenToId(token: string): number | undefined {
    return this.addedByContent.get(token)?.id ?? this.model.vocab.get(token);
  }

  /** Whether `id` is an added token marked `special` (what `skipSpecialTokens` drops). */
  isSpecial(id: number): boolean {
    return this.addedById.get(id)?.special === true;
  }

  /** The added tokens marked `special`. */
  get specialTokens(): AddedToken[] {
    return this.addedTokens.filter((t) => t.special);
  }

  private encodeRaw(text: string): { ids: number[]; tokens: string[] } {
    const segments: Segment[] = [];
    this.rawMatcher.split(text, true, segments);
    const ids: number[] = [];
    const tokens: string[] = [];
    const encodePiece = (piece: Piece): void => {
      const start = ids.length;
      const pieces = this.preTokenizer ? this.preTokenizer([piece]) : [piece];
      for (const p of pieces) this.model.encodeInto(p.text, ids);
      for (let i = start; i < ids.length; i++) tokens.push(this.model.tokens[ids[i]!]!);
    };
    for (const segment of segments) {
      if ('token' in segment) {
        ids.push(segment.token.id);
        tokens.push(segment.token.content);
        continue;
      }
      const normalized = this.normalizer ? this.normalizer(segment.text) : segment.text;
      if (!this.hasNormalizedTokens) {
        if (normalized !== '') encodePiece({ text: normalized, atStart: segment.atStart });
        continue;
      }
      const inner: Segment[] = [];
      this.normalizedMatcher.split(normalized, segment.atStart, inner);
      for (const s of inner) {
        if ('token' in s) {
          ids.push(s.token.id);
          tokens.push(s.token.content);
        } else encodePiece(s);
      }
    }
    return { ids, tokens };
  }

  /** Encodes one text; with special tokens (default) the post-processor adds its tokens. */
  encode(text: string, options: Pick<EncodeOptions, 'addSpecialTokens'> = {}): Encoding {
    assertText(text);
    let encoded = this.encodeRaw(text);
    if (options.addSpecialTokens !== false && this.postProcessor) encoded = this.postProcessor(encoded);
    return new HfEncoding(Int32Array.from(encoded.ids), encoded.tokens);
  }

  /** Number of ids `encode(text)` gives. */
  countTokens(text: string, options: Pick<EncodeOptions, 'addSpecialTokens'> = {}): number {
    return this.encode(text, options).ids.length;
  }

  /** Decodes ids: token strings (special ones dropped with `skipSpecialTokens`) through the decoder. */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    if (ids === null || typeof ids !== 'object' || typeof ids.length !== 'number')
      throw new TokenizerError('INVALID_INPUT', 'decode expects an array of ids');
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const token = Number.isInteger(id) && id >= 0 ? this.idToToken(id) : undefined;
      if (token === undefined)
        throw new TokenizerError(
          'INVALID_INPUT',
          `id ${String(id)} at position ${i} is not in the vocabulary`,
        );
      if (options.skipSpecialTokens && this.isSpecial(id)) continue;
      tokens.push(token);
    }
    let text = this.decoder ? this.decoder(tokens).join('') : tokens.join(' ');
    if (this.cleanUp) for (const [from, to] of CLEANUPS) text = text.replaceAll(from, to);
    return text;
  }

  /** {@link decode} for each row. */
  decodeBatch(rows: readonly ArrayLike<number>[], options: DecodeOptions = {}): string[] {
    return rows.map((row) => this.decode(row, options));
  }
}
