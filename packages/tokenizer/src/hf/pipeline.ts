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
import type { PiecewisePreTokenizer, PreTokenizer } from './pre-tokenizers';
import { buildPreTokenizer, piecewisePreTokenizer } from './pre-tokenizers';
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

/**
 * One encoded text: ids, and the token strings (`tokenizers`' `Encoding.tokens`), made from the ids
 * on first read when no post-processor supplied them: most callers only read the ids.
 */
class HfEncoding implements Encoding {
  private piecesValue: string[] | undefined;

  constructor(
    readonly ids: Int32Array,
    pieces: string[] | undefined,
    private readonly tokenizer: HfTokenizer,
  ) {
    this.piecesValue = pieces;
  }

  get pieces(): string[] {
    this.piecesValue ??= Array.from(this.ids, (id) => this.tokenizer.idToToken(id)!);
    return this.piecesValue;
  }

  toJSON(): { ids: number[]; pieces: string[] } {
    return { ids: Array.from(this.ids), pieces: this.pieces };
  }
}

/** Entries kept in the piece → ids cache before it is cleared. */
const PIECE_CACHE_LIMIT = 100_000;

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
  private readonly piecewise: PiecewisePreTokenizer | undefined;
  /** Ids of each piece before its byte-level mapping (with a piecewise pre-tokenizer). */
  private readonly pieceCache = new Map<string, number[]>();
  /** Where {@link emitPiece} appends; set before each split. */
  private out: number[] = [];
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
    this.piecewise = piecewisePreTokenizer(json.pre_tokenizer, source);
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

  /**
   * Parses `tokenizer.json` text (or its object) into a tokenizer. A parsed object is used in place,
   * not copied: its `model.vocab` becomes the vocabulary (with a null prototype).
   */
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

  private readonly emitPiece = (piece: string): void => {
    let ids = this.pieceCache.get(piece);
    if (ids === undefined) {
      ids = this.model.encodeWord(this.piecewise!.map(piece));
      if (this.pieceCache.size >= PIECE_CACHE_LIMIT) this.pieceCache.clear();
      this.pieceCache.set(piece, ids);
    }
    const out = this.out;
    for (let i = 0; i < ids.length; i++) out.push(ids[i]!);
  };

  /** Pre-tokenizes one normalized stretch of text and appends the model's ids. */
  private encodeStretch(text: string, atStart: boolean, ids: number[]): void {
    if (this.piecewise) {
      this.out = ids;
      this.piecewise.split(text, this.emitPiece);
      return;
    }
    const pieces = this.preTokenizer ? this.preTokenizer([{ text, atStart }]) : [{ text, atStart }];
    for (const p of pieces) this.model.encodeInto(p.text, ids);
  }

  private encodeRaw(text: string): number[] {
    const segments: Segment[] = [];
    this.rawMatcher.split(text, true, segments);
    const ids: number[] = [];
    for (const segment of segments) {
      if ('token' in segment) {
        ids.push(segment.token.id);
        continue;
      }
      const normalized = this.normalizer ? this.normalizer(segment.text) : segment.text;
      if (!this.hasNormalizedTokens) {
        if (normalized !== '') this.encodeStretch(normalized, segment.atStart, ids);
        continue;
      }
      const inner: Segment[] = [];
      this.normalizedMatcher.split(normalized, segment.atStart, inner);
      for (const s of inner) {
        if ('token' in s) ids.push(s.token.id);
        else this.encodeStretch(s.text, s.atStart, ids);
      }
    }
    return ids;
  }

  /** Encodes one text; with special tokens (default) the post-processor adds its tokens. */
  encode(text: string, options: Pick<EncodeOptions, 'addSpecialTokens'> = {}): Encoding {
    assertText(text);
    const ids = this.encodeRaw(text);
    if (options.addSpecialTokens === false || !this.postProcessor)
      return new HfEncoding(Int32Array.from(ids), undefined, this);
    const tokens = ids.map((id) => this.idToToken(id)!);
    const processed = this.postProcessor({ ids, tokens });
    return new HfEncoding(Int32Array.from(processed.ids), processed.tokens, this);
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
