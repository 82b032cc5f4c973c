/**
 * SentencePiece encoding and decoding in TypeScript, equal piece for piece to the official C++
 * (`SentencePieceProcessor::Encode` / `Decode` with a unigram model): normalization, Viterbi
 * segmentation, merging of unknown runs, byte fallback and decoding rules.
 */
import { TokenizerError } from '../errors';
import type { ModelProto } from './model-proto';
import { PieceType, parseModelProto } from './model-proto';
import { Normalizer } from './normalizer';
import { PieceTrie } from './piece-trie';
import { unigramViterbi } from './unigram';
import type { UnknownSurfaces } from './unknown-surfaces';
import { validCharLen } from './utf8';

/** The result of encoding one text: ids and the matching piece strings. */
export interface SentencePieceEncoding {
  ids: number[];
  pieces: string[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const SPACE_SYMBOL = '\u2581';
const BYTE_PIECE = /^<0x([0-9A-F]{2})>$/;
// With the `u` flag a surrogate range matches only unpaired surrogates.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Throws a typed error for anything that is not a well-formed string. */
export function assertText(text: unknown, what = 'text'): asserts text is string {
  if (typeof text !== 'string') {
    throw new TokenizerError(
      'INVALID_INPUT',
      `${what} must be a string, got ${text === null ? 'null' : typeof text}`,
    );
  }
  const index = text.search(LONE_SURROGATE);
  if (index >= 0) {
    const unit = text.charCodeAt(index).toString(16).toUpperCase();
    throw new TokenizerError(
      'INVALID_INPUT',
      `${what} contains a lone surrogate U+${unit} at UTF-16 index ${index}; it cannot be encoded as UTF-8`,
    );
  }
}

/** A loaded SentencePiece unigram model: plain SentencePiece behaviour, no T5 conventions. */
export class SentencePieceProcessor {
  readonly model: ModelProto;
  /** Number of pieces in the model (ids are `0 .. size-1`). */
  readonly size: number;
  readonly unkId: number;
  /** Id of `</s>` when it is a control piece, else -1 (SentencePiece's `eos_id()`). */
  readonly eosId: number;
  readonly bosId: number;
  readonly padId: number;

  private readonly trie: PieceTrie;
  private readonly normalizer: Normalizer;
  private readonly scores: Float32Array;
  private readonly types: Uint8Array;
  private readonly pieceIds = new Map<string, number>();
  private readonly pieceStrings: string[];
  private readonly byteIds = new Int32Array(256).fill(-1);
  private readonly minScore: number;
  private readonly maxScore: number;
  private input = new Uint8Array(1024);

  constructor(model: ModelProto) {
    if (model.modelType !== 'unigram') {
      throw new TokenizerError(
        'UNSUPPORTED_MODEL',
        `SentencePiece model type "${model.modelType}" is not supported (only unigram, as used by T5)`,
      );
    }
    this.model = model;
    this.size = model.pieces.length;
    this.scores = new Float32Array(this.size);
    this.pieceStrings = model.pieces.map((p) => p.piece);
    this.types = new Uint8Array(this.size);
    let unkId = -1;
    let minScore = 3.4028234663852886e38;
    let maxScore = 1.1754943508222875e-38; // FLT_MIN, as the C++ initialises it
    const trieEntries: [Uint8Array, number][] = [];
    const userDefined: [Uint8Array, number][] = [];
    model.pieces.forEach((p, id) => {
      if (p.piece === '')
        throw new TokenizerError('INVALID_MODEL', `invalid SentencePiece model: piece ${id} is empty`);
      if (this.pieceIds.has(p.piece)) {
        throw new TokenizerError(
          'INVALID_MODEL',
          `invalid SentencePiece model: piece "${p.piece}" (id ${id}) is already defined`,
        );
      }
      this.pieceIds.set(p.piece, id);
      this.scores[id] = p.score;
      this.types[id] = p.type;
      if (p.type === PieceType.NORMAL || p.type === PieceType.USER_DEFINED || p.type === PieceType.UNUSED) {
        trieEntries.push([encoder.encode(p.piece), id]);
      }
      if (p.type === PieceType.USER_DEFINED) userDefined.push([encoder.encode(p.piece), id]);
      if (p.type === PieceType.UNKNOWN) {
        if (unkId >= 0)
          throw new TokenizerError('INVALID_MODEL', 'invalid SentencePiece model: unk is already defined');
        unkId = id;
      }
      if (p.type === PieceType.BYTE) {
        if (!model.byteFallback) {
          throw new TokenizerError(
            'INVALID_MODEL',
            `invalid SentencePiece model: byte piece "${p.piece}" without byte_fallback`,
          );
        }
        const m = BYTE_PIECE.exec(p.piece);
        if (!m)
          throw new TokenizerError(
            'INVALID_MODEL',
            `invalid SentencePiece model: malformed byte piece "${p.piece}"`,
          );
        this.byteIds[parseInt(m[1]!, 16)] = id;
      }
      if (p.type === PieceType.NORMAL) {
        minScore = Math.min(minScore, p.score);
        maxScore = Math.max(maxScore, p.score);
      }
    });
    if (unkId < 0)
      throw new TokenizerError('INVALID_MODEL', 'invalid SentencePiece model: unk is not defined');
    if (trieEntries.length === 0)
      throw new TokenizerError('INVALID_MODEL', 'invalid SentencePiece model: no pieces are loaded');
    this.unkId = unkId;
    this.minScore = minScore;
    this.maxScore = maxScore;
    this.trie = new PieceTrie(trieEntries);
    this.normalizer = new Normalizer(
      model.normalizer,
      userDefined.length > 0 ? new PieceTrie(userDefined) : undefined,
      model.treatWhitespaceAsSuffix,
    );
    const controlId = (piece: string): number => {
      const id = this.pieceToId(piece);
      return this.types[id] === PieceType.CONTROL ? id : -1;
    };
    this.eosId = controlId(model.eosPiece);
    this.bosId = controlId(model.bosPiece);
    this.padId = controlId(model.padPiece);
  }

  /** Loads the bytes of a `.model` file. */
  static fromBytes(bytes: Uint8Array, source?: string): SentencePieceProcessor {
    return new SentencePieceProcessor(parseModelProto(bytes, source));
  }

  /** The id of `piece`, or the unk id when the vocabulary has no such piece (as in SentencePiece). */
  pieceToId(piece: string): number {
    return this.pieceIds.get(piece) ?? this.unkId;
  }

  /** The piece string of `id`. */
  idToPiece(id: number): string {
    this.checkId(id);
    return this.model.pieces[id]!.piece;
  }

  isControl(id: number): boolean {
    return this.types[id] === PieceType.CONTROL;
  }
  isUnknown(id: number): boolean {
    return this.types[id] === PieceType.UNKNOWN;
  }
  isByte(id: number): boolean {
    return this.types[id] === PieceType.BYTE;
  }

  private checkId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.size) {
      throw new TokenizerError(
        'INVALID_INPUT',
        `id ${String(id)} is out of range for a vocabulary of ${this.size} pieces`,
      );
    }
  }

  /** The normalized form of `text` (`▁` for spaces, dummy prefix included), as SentencePiece sees it. */
  normalize(text: string): string {
    assertText(text);
    return decoder.decode(this.normalizeBytes(text));
  }

  private normalizeBytes(text: string): Uint8Array {
    if (this.input.length < text.length * 3) this.input = new Uint8Array(text.length * 3 + 16);
    const { written } = encoder.encodeInto(text, this.input);
    return this.normalizer.normalize(this.input, written);
  }

  /** Encodes `text` to ids and pieces: `SentencePieceProcessor::Encode`, no bos/eos, no sampling. */
  encode(text: string): SentencePieceEncoding {
    assertText(text);
    const ids: number[] = [];
    const pieces: string[] = [];
    this.encodeInto(text, ids, pieces);
    return { ids, pieces };
  }

  /** Encodes `text` to ids only (skips building piece strings). */
  encodeIds(text: string): number[] {
    assertText(text);
    const ids: number[] = [];
    this.encodeInto(text, ids, undefined);
    return ids;
  }

  /**
   * Appends the encoding of `text` to `ids`, without checking `text`. Piece strings go to `pieces`
   * when given; otherwise only the surfaces of unknown pieces (the one piece string that is not the
   * vocabulary's) go to `unknownSurfaces`, keyed by their index in `ids`.
   * @internal For {@link Tokenizer}, which has already validated the text.
   */
  encodeInto(
    text: string,
    ids: number[],
    pieces: string[] | undefined,
    unknownSurfaces?: UnknownSurfaces,
  ): void {
    const normalized = this.normalizeBytes(text);
    const n = normalized.length;
    if (n === 0) return;
    const path = unigramViterbi(
      normalized,
      this.trie,
      this.scores,
      this.types,
      this.unkId,
      this.minScore,
      this.maxScore,
    );
    const unkId = this.unkId;
    const pieceStrings = this.pieceStrings;
    let prevUnk = false;
    for (let k = 0; k < path.count; k++) {
      const id = path.ids[k]!;
      const isUnk = id === unkId;
      if (!isUnk) {
        ids.push(id);
        if (pieces) pieces.push(pieceStrings[id]!);
        prevUnk = false;
        continue;
      }
      const begin = path.starts[k]!;
      const end = path.starts[k + 1]!;
      if (this.model.byteFallback) {
        for (let i = begin; i < end; i++) {
          const byteId = this.byteIds[normalized[i]!]!;
          ids.push(byteId >= 0 ? byteId : unkId);
          pieces?.push(byteId >= 0 ? pieceStrings[byteId]! : this.model.unkPiece);
        }
      } else {
        // A run of unknown characters is one unknown piece, as in the C++ (known pieces never hold them).
        if (!prevUnk) ids.push(id);
        if (pieces) {
          const surface = decoder.decode(normalized.subarray(begin, end));
          if (prevUnk) pieces[pieces.length - 1] += surface;
          else pieces.push(surface);
        } else unknownSurfaces?.add(ids.length - 1, normalized, begin, end, prevUnk);
      }
      prevUnk = true;
    }
  }

  /** Decodes ids to text: `SentencePieceProcessor::DecodeIds`. Throws for an id outside the vocabulary. */
  decode(ids: ArrayLike<number>): string {
    const pieces: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      this.checkId(id);
      pieces.push(this.model.pieces[id]!.piece);
    }
    return this.decodePieces(pieces);
  }

  /** Decodes piece strings to text: `SentencePieceProcessor::DecodePieces`. */
  decodePieces(pieces: readonly string[]): string {
    const spec = this.model.normalizer;
    const stripBosSpace = spec.addDummyPrefix || spec.removeExtraWhitespaces;
    let text = '';
    let isBosWs = true;
    let bosWsSeen = false;
    let bytes: number[] = [];
    const flushBytes = (): void => {
      if (bytes.length === 0) return;
      const buf = Uint8Array.from(bytes);
      let offset = 0;
      while (offset < buf.length) {
        const len = validCharLen(buf, offset, buf.length);
        if (len === 0) {
          text += '\ufffd';
          offset += 1;
        } else {
          text += decoder.decode(buf.subarray(offset, offset + len));
          offset += len;
        }
      }
      bytes = [];
    };
    for (const piece of pieces) {
      const id = this.pieceToId(piece);
      if (this.isByte(id)) {
        bytes.push(parseInt(BYTE_PIECE.exec(piece)![1]!, 16));
        continue;
      }
      flushBytes();
      if (bosWsSeen || text !== '') isBosWs = false;
      bosWsSeen = false;
      if (this.isControl(id)) continue;
      if (this.isUnknown(id)) {
        text += piece === this.model.pieces[id]!.piece ? this.model.unkSurface : piece;
        continue;
      }
      let p = piece;
      if (isBosWs && stripBosSpace && p.startsWith(SPACE_SYMBOL)) {
        p = p.slice(1);
        bosWsSeen = !spec.removeExtraWhitespaces;
      }
      text += p.replaceAll(SPACE_SYMBOL, ' ');
    }
    flushBytes();
    return text;
  }
}
