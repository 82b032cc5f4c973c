/**
 * Reads a Hugging Face `tokenizer.json` whose model is Unigram (the fast-tokenizer form of a T5
 * SentencePiece model) into the same {@link ModelProto} the `.model` reader produces, so both files
 * run through one encoder. Pipelines that a SentencePiece model cannot express are rejected with
 * `UNSUPPORTED_MODEL` rather than approximated.
 */
import { TokenizerError } from '../errors';
import type { ModelPiece, ModelProto } from '../sentencepiece/model-proto';
import { PieceType } from '../sentencepiece/model-proto';
import type { SpecialToken } from '../special-tokens';

export interface TokenizerJson {
  model: ModelProto;
  specialTokens: SpecialToken[];
  /** Whether the post-processor appends `</s>` to a single sequence. */
  appendsEos: boolean;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unsupported(source: string, detail: string): never {
  throw new TokenizerError('UNSUPPORTED_MODEL', `${source}: ${detail}`);
}

function invalid(source: string, detail: string): never {
  throw new TokenizerError('INVALID_MODEL', `${source}: ${detail}`);
}

function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Parses `tokenizer.json` text or its parsed object. */
export function parseTokenizerJson(input: string | Json, source = 'tokenizer.json'): TokenizerJson {
  let root: unknown = input;
  if (typeof input === 'string') {
    try {
      root = JSON.parse(input);
    } catch (error) {
      invalid(source, `not valid JSON (${(error as Error).message})`);
    }
  }
  if (!isObject(root)) invalid(source, 'expected a JSON object');
  const model = root.model;
  if (!isObject(model)) invalid(source, 'missing "model" object');
  if (model.type !== 'Unigram') {
    unsupported(
      source,
      `model type ${JSON.stringify(model.type)} is not supported (only "Unigram", as in T5's tokenizer.json)`,
    );
  }
  const vocab = model.vocab;
  if (!Array.isArray(vocab) || vocab.length === 0) invalid(source, '"model.vocab" must be a non-empty array');
  const pieces: ModelPiece[] = vocab.map((entry, id) => {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number') {
      invalid(source, `model.vocab[${id}] must be [piece, score]`);
    }
    return { piece: entry[0], score: Math.fround(entry[1]), type: PieceType.NORMAL };
  });
  const unkId = model.unk_id;
  if (typeof unkId !== 'number' || !Number.isInteger(unkId) || unkId < 0 || unkId >= pieces.length) {
    invalid(source, '"model.unk_id" must be the id of a vocabulary entry');
  }
  pieces[unkId]!.type = PieceType.UNKNOWN;
  const byteFallback = model.byte_fallback === true;
  if (byteFallback) {
    pieces.forEach((p) => {
      if (/^<0x[0-9A-F]{2}>$/.test(p.piece)) p.type = PieceType.BYTE;
    });
  }

  const specialTokens: SpecialToken[] = [];
  const added = root.added_tokens ?? [];
  if (!Array.isArray(added)) invalid(source, '"added_tokens" must be an array');
  for (const [i, token] of added.entries()) {
    if (!isObject(token) || typeof token.id !== 'number' || typeof token.content !== 'string') {
      invalid(source, `added_tokens[${i}] must have a numeric "id" and a string "content"`);
    }
    if (token.special !== true)
      unsupported(
        source,
        `added_tokens[${i}] ("${token.content}") is not special; only special added tokens are supported`,
      );
    specialTokens.push({
      content: token.content,
      id: token.id,
      lstrip: token.lstrip === true,
      rstrip: token.rstrip === true,
    });
    // Special tokens are matched before the model runs, so the Viterbi search must never produce them.
    const piece = pieces[token.id];
    if (piece && piece.piece === token.content && piece.type === PieceType.NORMAL)
      piece.type = PieceType.CONTROL;
  }

  // Normalizer: the SentencePiece charsmap, optionally followed by the collapsing of repeated spaces.
  let charsmap: Uint8Array = new Uint8Array(0);
  let collapsesSpaces = false;
  const normalizers = isObject(root.normalizer)
    ? root.normalizer.type === 'Sequence'
      ? (root.normalizer.normalizers as unknown[])
      : [root.normalizer]
    : [];
  for (const n of normalizers) {
    if (!isObject(n)) invalid(source, 'normalizer entries must be objects');
    if (n.type === 'Precompiled') {
      if (typeof n.precompiled_charsmap !== 'string')
        invalid(source, 'Precompiled normalizer without "precompiled_charsmap"');
      charsmap = base64ToBytes(n.precompiled_charsmap);
    } else if (
      n.type === 'Replace' &&
      isObject(n.pattern) &&
      n.pattern.Regex === ' {2,}' &&
      n.content === ' '
    ) {
      collapsesSpaces = true;
    } else {
      unsupported(source, `normalizer ${JSON.stringify(n.type)} is not supported`);
    }
  }

  // Pre-tokenizer: Metaspace (▁ for spaces, optional prefix), possibly after WhitespaceSplit.
  let addPrefix = false;
  let sawMetaspace = false;
  const pre = root.pre_tokenizer;
  const preList = isObject(pre) ? (pre.type === 'Sequence' ? (pre.pretokenizers as unknown[]) : [pre]) : [];
  for (const p of preList) {
    if (!isObject(p)) invalid(source, 'pre_tokenizer entries must be objects');
    if (p.type === 'Metaspace') {
      if (p.replacement !== '\u2581')
        unsupported(source, `Metaspace replacement ${JSON.stringify(p.replacement)} is not supported`);
      sawMetaspace = true;
      addPrefix =
        p.add_prefix_space === true || p.prepend_scheme === 'always' || p.prepend_scheme === 'first';
    } else if (p.type === 'WhitespaceSplit') {
      collapsesSpaces = true;
    } else {
      unsupported(source, `pre_tokenizer ${JSON.stringify(p.type)} is not supported`);
    }
  }
  if (!sawMetaspace)
    unsupported(source, 'a Metaspace pre_tokenizer is required for a SentencePiece-style Unigram model');

  const post = root.post_processor;
  const appendsEos =
    isObject(post) &&
    post.type === 'TemplateProcessing' &&
    Array.isArray(post.single) &&
    post.single.some((s) => isObject(s) && isObject(s.SpecialToken) && s.SpecialToken.id === '</s>');

  return {
    model: {
      pieces,
      modelType: 'unigram',
      byteFallback,
      treatWhitespaceAsSuffix: false,
      unkSurface: ' \u2047 ',
      unkPiece: pieces[unkId]!.piece,
      bosPiece: '<s>',
      eosPiece: '</s>',
      padPiece: '<pad>',
      normalizer: {
        name: 'tokenizer.json',
        precompiledCharsmap: charsmap,
        addDummyPrefix: addPrefix,
        removeExtraWhitespaces: collapsesSpaces,
        escapeWhitespaces: true,
      },
    },
    specialTokens,
    appendsEos,
  };
}
