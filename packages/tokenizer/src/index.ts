/**
 * `@flan-ts/tokenizer`: SentencePiece tokenization with T5 semantics and Hugging Face `tokenizer.json`
 * pipelines (byte-level BPE: Qwen3, Llama 3, GPT-2), plus chat templates, for Node and the browser.
 * This entry is browser-safe; file and directory loading live in `@flan-ts/tokenizer/node`.
 */
export { Tokenizer } from './tokenizer';
export type {
  TokenizerOptions,
  EncodeOptions,
  BatchEncodeOptions,
  Encoding,
  BatchEncoding,
  DecodeOptions,
} from './tokenizer';
export { SentencePieceProcessor } from './sentencepiece/processor';
export type { SentencePieceEncoding } from './sentencepiece/processor';
export type { ModelProto, ModelPiece, NormalizerSpec } from './sentencepiece/model-proto';
export { parseModelProto, PieceType } from './sentencepiece/model-proto';
export type { SpecialToken } from './special-tokens';
export { TokenizerError } from './errors';
export type { TokenizerErrorCode } from './errors';
export { HfTokenizer } from './hf/pipeline';
export type { HfTokenizerOptions } from './hf/pipeline';
export type { AddedToken } from './hf/added-tokens';
export { translateRegex } from './hf/regex';
export { tokenizerFromBytes } from './auto';
export type { TextTokenizer } from './auto';
export { parseTokenizerConfig, specialTokensMap } from './config';
export type { TokenizerConfig } from './config';
export { ChatTemplate, ChatTemplateError, strftime, validateMessages } from './chat-template';
export type { ChatMessage, ChatTemplateOptions } from './chat-template';
