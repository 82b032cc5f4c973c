/**
 * Reader for SentencePiece's `ModelProto` (sentencepiece_model.proto, proto2). Only the fields that
 * change encoding or decoding are kept; unknown fields are skipped as the wire format allows, so newer
 * model files still load.
 */
import { TokenizerError } from '../errors';

/** `ModelProto.SentencePiece.Type`. */
export const PieceType = {
  NORMAL: 1,
  UNKNOWN: 2,
  CONTROL: 3,
  USER_DEFINED: 4,
  UNUSED: 5,
  BYTE: 6,
} as const;
export type PieceType = (typeof PieceType)[keyof typeof PieceType];

export interface ModelPiece {
  piece: string;
  /** float32, as stored. */
  score: number;
  type: PieceType;
}

/** `TrainerSpec.ModelType`. */
export type ModelType = 'unigram' | 'bpe' | 'word' | 'char';

export interface NormalizerSpec {
  name: string;
  /** Double-array trie + normalized strings, as written by SentencePiece's builder; may be empty. */
  precompiledCharsmap: Uint8Array;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
}

export interface ModelProto {
  pieces: ModelPiece[];
  modelType: ModelType;
  byteFallback: boolean;
  treatWhitespaceAsSuffix: boolean;
  unkSurface: string;
  unkPiece: string;
  bosPiece: string;
  eosPiece: string;
  padPiece: string;
  normalizer: NormalizerSpec;
}

const MODEL_TYPES: Record<number, ModelType> = { 1: 'unigram', 2: 'bpe', 3: 'word', 4: 'char' };

class WireReader {
  pos: number;
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
    private readonly what: string,
  ) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(detail: string): never {
    throw new TokenizerError(
      'INVALID_MODEL',
      `not a valid SentencePiece model: ${detail} in ${this.what} at byte ${this.pos}`,
    );
  }

  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const byte = this.bytes[this.pos++]!;
      // Values above 2^53 never occur in the fields we read; low bits are enough for enums/bools/ids.
      if (shift < 49) result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) this.fail('varint longer than 10 bytes');
    }
  }

  /** int32 fields are sign-extended 64-bit varints on the wire. */
  int32(): number {
    const v = this.varint();
    return v >= 2 ** 31 ? (v % 2 ** 32) - 2 ** 32 : v;
  }

  float32(): number {
    if (this.pos + 4 > this.end) this.fail('truncated float');
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  lengthDelimited(): [number, number] {
    const length = this.varint();
    const start = this.pos;
    if (start + length > this.end) this.fail(`field length ${length} runs past the end`);
    this.pos = start + length;
    return [start, start + length];
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        if (this.pos + 8 > this.end) this.fail('truncated fixed64');
        this.pos += 8;
        return;
      case 2:
        this.lengthDelimited();
        return;
      case 5:
        if (this.pos + 4 > this.end) this.fail('truncated fixed32');
        this.pos += 4;
        return;
      default:
        this.fail(`unsupported wire type ${wireType}`);
    }
  }

  /** Iterates over (field number, wire type) until `end`. */
  *fields(): Generator<[number, number]> {
    while (this.pos < this.end) {
      const key = this.varint();
      const field = Math.floor(key / 8);
      if (field === 0) this.fail('field number 0');
      yield [field, key & 7];
    }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function readString(r: WireReader, [start, end]: [number, number], field: string): string {
  try {
    return utf8.decode(r.bytes.subarray(start, end));
  } catch {
    return r.fail(`${field} is not valid UTF-8`);
  }
}

function expectWire(r: WireReader, actual: number, expected: number, field: string): void {
  if (actual !== expected) r.fail(`field ${field} has wire type ${actual}, expected ${expected}`);
}

function readPiece(bytes: Uint8Array, range: [number, number], index: number): ModelPiece {
  const r = new WireReader(bytes, range[0], range[1], `piece ${index}`);
  const piece: ModelPiece = { piece: '', score: 0, type: PieceType.NORMAL };
  for (const [field, wire] of r.fields()) {
    if (field === 1) {
      expectWire(r, wire, 2, 'piece');
      piece.piece = readString(r, r.lengthDelimited(), 'piece');
    } else if (field === 2) {
      expectWire(r, wire, 5, 'score');
      piece.score = r.float32();
    } else if (field === 3) {
      expectWire(r, wire, 0, 'type');
      const type = r.varint();
      if (type < 1 || type > 6) r.fail(`unknown piece type ${type}`);
      piece.type = type as PieceType;
    } else r.skip(wire);
  }
  return piece;
}

/** Parses the bytes of a `.model` file. Throws `TokenizerError('INVALID_MODEL')` on anything malformed. */
export function parseModelProto(input: Uint8Array, source = 'model'): ModelProto {
  // A Node Buffer's `slice` does not copy; view it as a plain Uint8Array so every slice below does.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const model: ModelProto = {
    pieces: [],
    modelType: 'unigram',
    byteFallback: false,
    treatWhitespaceAsSuffix: false,
    unkSurface: ' \u2047 ',
    unkPiece: '<unk>',
    bosPiece: '<s>',
    eosPiece: '</s>',
    padPiece: '<pad>',
    normalizer: {
      name: '',
      precompiledCharsmap: new Uint8Array(0),
      addDummyPrefix: true,
      removeExtraWhitespaces: true,
      escapeWhitespaces: true,
    },
  };
  const r = new WireReader(bytes, 0, bytes.length, source);
  let sawNormalizer = false;
  for (const [field, wire] of r.fields()) {
    if (field === 1) {
      expectWire(r, wire, 2, 'pieces');
      model.pieces.push(readPiece(bytes, r.lengthDelimited(), model.pieces.length));
    } else if (field === 2) {
      expectWire(r, wire, 2, 'trainer_spec');
      const t = new WireReader(bytes, ...r.lengthDelimited(), `${source} trainer_spec`);
      for (const [f, w] of t.fields()) {
        if (f === 3 && w === 0) {
          model.modelType = MODEL_TYPES[t.varint()] ?? t.fail('unknown model_type');
        } else if (f === 24 && w === 0) model.treatWhitespaceAsSuffix = t.varint() !== 0;
        else if (f === 35 && w === 0) model.byteFallback = t.varint() !== 0;
        else if (f === 44 && w === 2) model.unkSurface = readString(t, t.lengthDelimited(), 'unk_surface');
        else if (f === 45 && w === 2) model.unkPiece = readString(t, t.lengthDelimited(), 'unk_piece');
        else if (f === 46 && w === 2) model.bosPiece = readString(t, t.lengthDelimited(), 'bos_piece');
        else if (f === 47 && w === 2) model.eosPiece = readString(t, t.lengthDelimited(), 'eos_piece');
        else if (f === 48 && w === 2) model.padPiece = readString(t, t.lengthDelimited(), 'pad_piece');
        else t.skip(w);
      }
    } else if (field === 3) {
      expectWire(r, wire, 2, 'normalizer_spec');
      sawNormalizer = true;
      const n = new WireReader(bytes, ...r.lengthDelimited(), `${source} normalizer_spec`);
      for (const [f, w] of n.fields()) {
        if (f === 1 && w === 2) model.normalizer.name = readString(n, n.lengthDelimited(), 'name');
        else if (f === 2 && w === 2) {
          const [s, e] = n.lengthDelimited();
          model.normalizer.precompiledCharsmap = bytes.slice(s, e);
        } else if (f === 3 && w === 0) model.normalizer.addDummyPrefix = n.varint() !== 0;
        else if (f === 4 && w === 0) model.normalizer.removeExtraWhitespaces = n.varint() !== 0;
        else if (f === 5 && w === 0) model.normalizer.escapeWhitespaces = n.varint() !== 0;
        else n.skip(w);
      }
    } else r.skip(wire);
  }
  if (model.pieces.length === 0) r.fail('no pieces');
  if (!sawNormalizer) r.fail('no normalizer_spec');
  return model;
}
