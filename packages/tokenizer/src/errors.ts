/**
 * Every failure this package reports is a {@link TokenizerError}; `code` says which kind, so callers
 * can branch without parsing messages.
 */
export type TokenizerErrorCode =
  /** The model bytes are not a valid SentencePiece ModelProto (truncated, corrupt, inconsistent). */
  | 'INVALID_MODEL'
  /** A well-formed file that describes something this package does not implement (BPE, WordPiece…). */
  | 'UNSUPPORTED_MODEL'
  /** A file, directory or URL could not be read. */
  | 'NOT_FOUND'
  /** The caller passed something that is not valid input (non-string text, lone surrogate, bad id…). */
  | 'INVALID_INPUT';

/** The error type of `@flan-ts/tokenizer`. */
export class TokenizerError extends Error {
  override name = 'TokenizerError';
  readonly code: TokenizerErrorCode;

  constructor(code: TokenizerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
