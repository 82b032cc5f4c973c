/**
 * The T5 tokenizer: SentencePiece plus the conventions of Hugging Face's `T5Tokenizer` — `</s>`
 * appended, `<pad>` for padding, `<extra_id_N>` sentinels, special tokens recognised inside text,
 * batches with padding, truncation and attention masks as `Int32Array`s.
 */
import type { TokenizerConfig } from './config';
import { TokenizerError } from './errors';
import type { TokenizerJson } from './formats/tokenizer-json';
import { parseTokenizerJson } from './formats/tokenizer-json';
import { parseModelProto } from './sentencepiece/model-proto';
import { SentencePieceProcessor, assertText } from './sentencepiece/processor';
import type { SpecialToken } from './special-tokens';
import { SpecialTokenSplitter } from './special-tokens';
import { UnknownSurfaces } from './sentencepiece/unknown-surfaces';

/** How to build a {@link Tokenizer} around a SentencePiece model. */
export interface TokenizerOptions {
  /**
   * Number of `<extra_id_N>` sentinels placed after the model's pieces, `<extra_id_0>` last
   * (T5: 100, so `<extra_id_0>` = 32099 … `<extra_id_99>` = 32000). Default 100. Ignored when
   * `specialTokens` is given.
   */
  extraIds?: number;
  /** The full list of special tokens (as in `tokenizer_config.json` → `added_tokens_decoder`). */
  specialTokens?: readonly SpecialToken[];
  /** Append `</s>` when encoding with special tokens. Default true (T5). */
  appendEos?: boolean;
  /** Default `maxLength` for truncation and `max_length` padding (`model_max_length`). */
  modelMaxLength?: number;
  /** Name used in error messages (a path or URL). */
  source?: string;
}

/** Options of {@link Tokenizer.encode}. */
export interface EncodeOptions {
  /** Match special tokens in the text and append `</s>` (T5 semantics). Default true. */
  addSpecialTokens?: boolean;
  /** Cut the sequence to at most `maxLength` ids, `</s>` included (it is kept as the last id). */
  truncation?: boolean;
  /** Length limit for truncation; defaults to the tokenizer's `modelMaxLength`. */
  maxLength?: number;
}

/** Options of {@link Tokenizer.encodeBatch}. */
export interface BatchEncodeOptions extends EncodeOptions {
  /** `'longest'` pads to the longest row (default); `'max_length'` pads every row to `maxLength`. */
  padding?: 'longest' | 'max_length';
  /** Where padding goes. Default `'right'`, as T5 expects. */
  paddingSide?: 'right' | 'left';
}

/** One encoded text. */
export interface Encoding {
  readonly ids: Int32Array;
  /** The piece (or special token) behind each id; an unknown piece is its normalized surface text. */
  readonly pieces: string[];
}

/** A padded batch, row-major `[batchSize, sequenceLength]`. */
export interface BatchEncoding {
  inputIds: Int32Array;
  /** 1 for real tokens (`</s>` included), 0 for padding. */
  attentionMask: Int32Array;
  batchSize: number;
  sequenceLength: number;
  /** Unpadded length of each row. */
  lengths: Int32Array;
}

/** Options of {@link Tokenizer.decode}. */
export interface DecodeOptions {
  /** Drop `</s>`, `<pad>`, `<unk>` and sentinels instead of writing them out. Default false. */
  skipSpecialTokens?: boolean;
}

const JSON_START = /^\s*\{/;

/** An {@link Encoding} whose piece strings are derived from the ids on first access. */
class LazyEncoding implements Encoding {
  private cached: string[] | undefined;

  constructor(
    readonly ids: Int32Array,
    private readonly tokenizer: Tokenizer,
    private readonly unknownSurfaces: UnknownSurfaces | undefined,
  ) {}

  get pieces(): string[] {
    if (!this.cached) {
      const { ids, tokenizer } = this;
      const unknownSurfaces = this.unknownSurfaces?.decode();
      this.cached = Array.from(ids, (id, i) =>
        id === tokenizer.unkId
          ? (unknownSurfaces?.get(i) ?? tokenizer.idToToken(id))
          : tokenizer.idToToken(id),
      );
    }
    return this.cached;
  }

  toJSON(): { ids: number[]; pieces: string[] } {
    return { ids: Array.from(this.ids), pieces: this.pieces };
  }
}

function looksLikeJson(bytes: Uint8Array): boolean {
  const head = new TextDecoder().decode(bytes.subarray(0, 64));
  return JSON_START.test(head);
}

export class Tokenizer {
  /** The plain SentencePiece model: no eos, no special-token matching. */
  readonly sentencePiece: SentencePieceProcessor;
  /** Every id this tokenizer can produce is below this (T5: 32100). */
  readonly vocabSize: number;
  readonly padId: number;
  readonly eosId: number;
  readonly unkId: number;
  readonly modelMaxLength: number | undefined;
  /** `tokenizer_config.json`, when loaded through `loadAutoTokenizer`. */
  config?: TokenizerConfig;
  readonly specialTokens: readonly SpecialToken[];
  private readonly appendEos: boolean;
  private readonly splitter: SpecialTokenSplitter;
  private readonly specialById = new Map<number, SpecialToken>();

  constructor(sentencePiece: SentencePieceProcessor, options: TokenizerOptions = {}) {
    this.sentencePiece = sentencePiece;
    const sp = sentencePiece;
    let tokens: SpecialToken[];
    if (options.specialTokens) {
      tokens = [...options.specialTokens];
    } else {
      const extraIds = options.extraIds ?? 100;
      if (!Number.isInteger(extraIds) || extraIds < 0) {
        throw new TokenizerError('INVALID_INPUT', `extraIds must be a non-negative integer, got ${extraIds}`);
      }
      tokens = [];
      for (const content of [sp.model.padPiece, sp.model.eosPiece, sp.model.unkPiece]) {
        const id = sp.pieceToId(content);
        if (sp.model.pieces[id]?.piece === content)
          tokens.push({ content, id, lstrip: false, rstrip: false });
      }
      for (let n = 0; n < extraIds; n++) {
        tokens.push({
          content: `<extra_id_${n}>`,
          id: sp.size + extraIds - 1 - n,
          lstrip: true,
          rstrip: true,
        });
      }
    }
    this.specialTokens = tokens;
    for (const t of tokens) {
      if (!Number.isInteger(t.id) || t.id < 0)
        throw new TokenizerError('INVALID_MODEL', `special token "${t.content}" has invalid id ${t.id}`);
      if (t.id < sp.size && sp.model.pieces[t.id]!.piece !== t.content) {
        throw new TokenizerError(
          'INVALID_MODEL',
          `special token "${t.content}" has id ${t.id}, which is the piece "${sp.model.pieces[t.id]!.piece}"`,
        );
      }
      this.specialById.set(t.id, t);
    }
    this.splitter = new SpecialTokenSplitter(tokens);
    this.vocabSize = Math.max(sp.size, ...tokens.map((t) => t.id + 1));
    const idOf = (content: string, fallback: number): number =>
      tokens.find((t) => t.content === content)?.id ?? fallback;
    this.eosId = idOf(sp.model.eosPiece, sp.eosId);
    this.padId = idOf(sp.model.padPiece, sp.padId >= 0 ? sp.padId : 0);
    this.unkId = sp.unkId;
    this.appendEos = (options.appendEos ?? true) && this.eosId >= 0;
    this.modelMaxLength = options.modelMaxLength;
  }

  /** Builds a tokenizer from the bytes of a SentencePiece `.model` or of a `tokenizer.json`. */
  static fromBytes(bytes: Uint8Array, options: TokenizerOptions = {}): Tokenizer {
    if (!(bytes instanceof Uint8Array))
      throw new TokenizerError('INVALID_INPUT', 'fromBytes expects a Uint8Array');
    if (bytes.length === 0)
      throw new TokenizerError('INVALID_MODEL', `${options.source ?? 'model'} is empty`);
    if (looksLikeJson(bytes)) return Tokenizer.fromJson(new TextDecoder().decode(bytes), options);
    return new Tokenizer(new SentencePieceProcessor(parseModelProto(bytes, options.source)), options);
  }

  /** Builds a tokenizer from a Hugging Face `tokenizer.json` (Unigram model), as text or parsed. */
  static fromJson(json: string | Record<string, unknown>, options: TokenizerOptions = {}): Tokenizer {
    const parsed: TokenizerJson = parseTokenizerJson(json, options.source);
    return new Tokenizer(new SentencePieceProcessor(parsed.model), {
      appendEos: parsed.appendsEos,
      specialTokens: parsed.specialTokens,
      ...options,
    });
  }

  /** Fetches a `.model` or `tokenizer.json` and builds a tokenizer (browser and Node). */
  static async fromUrl(
    url: string | URL,
    options: TokenizerOptions & { fetch?: typeof fetch } = {},
  ): Promise<Tokenizer> {
    const doFetch = options.fetch ?? globalThis.fetch;
    let response: Response;
    try {
      response = await doFetch(url);
    } catch (error) {
      throw new TokenizerError('NOT_FOUND', `cannot fetch ${String(url)}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (!response.ok)
      throw new TokenizerError('NOT_FOUND', `cannot fetch ${String(url)}: HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    return Tokenizer.fromBytes(bytes, { source: String(url), ...options });
  }

  /** The piece or special token of `id`. */
  idToToken(id: number): string {
    const special = this.specialById.get(id);
    if (special) return special.content;
    return this.sentencePiece.idToPiece(id);
  }

  /** The id of a piece or special token (`unkId` when unknown). */
  tokenToId(token: string): number {
    const special = this.specialTokens.find((t) => t.content === token);
    return special ? special.id : this.sentencePiece.pieceToId(token);
  }

  /** Encodes one text. With special tokens (default): sentinels and `</s>` in the text become their ids, `</s>` is appended. */
  encode(text: string, options: EncodeOptions = {}): Encoding {
    assertText(text);
    const ids: number[] = [];
    // Piece strings are built only if read: most callers want ids alone.
    let unknownSurfaces: UnknownSurfaces | undefined;
    const sp = this.sentencePiece;
    const encodeText = (segment: string): void => {
      unknownSurfaces ??= new UnknownSurfaces();
      sp.encodeInto(segment, ids, undefined, unknownSurfaces);
    };
    if (options.addSpecialTokens === false) {
      encodeText(text);
    } else {
      for (const segment of this.splitter.split(text)) {
        if ('token' in segment) ids.push(segment.token.id);
        else encodeText(segment.text);
      }
      // As T5Tokenizer: no second `</s>` when the text already ends with one.
      if (this.appendEos && ids[ids.length - 1] !== this.eosId) ids.push(this.eosId);
    }
    if (options.truncation) {
      const maxLength = this.resolveMaxLength(options.maxLength);
      if (ids.length > maxLength) {
        ids.length = maxLength;
        if (options.addSpecialTokens !== false && this.appendEos && maxLength > 0)
          ids[maxLength - 1] = this.eosId;
      }
    }
    return new LazyEncoding(new Int32Array(ids), this, unknownSurfaces);
  }

  private resolveMaxLength(maxLength: number | undefined): number {
    const value = maxLength ?? this.modelMaxLength;
    if (value === undefined)
      throw new TokenizerError(
        'INVALID_INPUT',
        'truncation or max_length padding needs maxLength (the tokenizer has no modelMaxLength)',
      );
    if (!Number.isInteger(value) || value < 0)
      throw new TokenizerError('INVALID_INPUT', `maxLength must be a non-negative integer, got ${value}`);
    return value;
  }

  /** Encodes several texts into one padded `[batchSize, sequenceLength]` batch with an attention mask. */
  encodeBatch(texts: readonly string[], options: BatchEncodeOptions = {}): BatchEncoding {
    if (!Array.isArray(texts))
      throw new TokenizerError('INVALID_INPUT', 'encodeBatch expects an array of strings');
    texts.forEach((t, i) => assertText(t, `texts[${i}]`));
    const rows = texts.map((t) => this.encode(t, options).ids);
    const longest = rows.reduce((m, r) => Math.max(m, r.length), 0);
    let sequenceLength = longest;
    if (options.padding === 'max_length') {
      sequenceLength = this.resolveMaxLength(options.maxLength);
      if (longest > sequenceLength) {
        throw new TokenizerError(
          'INVALID_INPUT',
          `a row has ${longest} ids, more than maxLength ${sequenceLength}; enable truncation`,
        );
      }
    }
    const batchSize = rows.length;
    const inputIds = new Int32Array(batchSize * sequenceLength).fill(this.padId);
    const attentionMask = new Int32Array(batchSize * sequenceLength);
    const lengths = new Int32Array(batchSize);
    rows.forEach((row, b) => {
      const offset = b * sequenceLength + (options.paddingSide === 'left' ? sequenceLength - row.length : 0);
      inputIds.set(row, offset);
      attentionMask.fill(1, offset, offset + row.length);
      lengths[b] = row.length;
    });
    return { inputIds, attentionMask, batchSize, sequenceLength, lengths };
  }

  /**
   * Decodes ids to text as T5Tokenizer does: runs of pieces through SentencePiece, special tokens
   * written out (or dropped with `skipSpecialTokens`), surrounding whitespace trimmed.
   */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    if (ids === null || typeof ids !== 'object' || typeof ids.length !== 'number') {
      throw new TokenizerError('INVALID_INPUT', 'decode expects an array of ids');
    }
    let out = '';
    let run: number[] = [];
    let prevSpecial = false;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw new TokenizerError(
          'INVALID_INPUT',
          `id ${String(id)} at position ${i} is out of range [0, ${this.vocabSize})`,
        );
      }
      const special = this.specialById.get(id);
      if (special) {
        if (options.skipSpecialTokens) continue;
        if (!prevSpecial) out += ' ';
        out += this.sentencePiece.decode(run) + special.content;
        run = [];
        prevSpecial = true;
      } else {
        run.push(id);
        prevSpecial = false;
      }
    }
    out += this.sentencePiece.decode(run);
    return out.trim();
  }

  /**
   * Number of ids `encode(text)` gives (`</s>` included, without truncation). Makes the tokenizer a
   * `TokenCounter` for `@flan-ts/templates`' few-shot budget.
   */
  countTokens(text: string, options: Pick<EncodeOptions, 'addSpecialTokens'> = {}): number {
    assertText(text);
    const ids: number[] = [];
    if (options.addSpecialTokens === false) {
      this.sentencePiece.encodeInto(text, ids, undefined);
      return ids.length;
    }
    for (const segment of this.splitter.split(text)) {
      if ('token' in segment) ids.push(segment.token.id);
      else this.sentencePiece.encodeInto(segment.text, ids, undefined);
    }
    return ids.length + (this.appendEos && ids[ids.length - 1] !== this.eosId ? 1 : 0);
  }

  /** {@link decode} for each row. */
  decodeBatch(rows: readonly ArrayLike<number>[], options: DecodeOptions = {}): string[] {
    return rows.map((row) => this.decode(row, options));
  }
}
