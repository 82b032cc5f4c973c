/**
 * How a benchmark prompt and an answer option become ids for each kind of model. A T5 reads the
 * prompt as its encoder input, with eos, exactly as the paper evaluated Flan-T5. A decoder-only model
 * continues the prompt: it is tokenized with the tokenizer's special tokens (a bos where the
 * tokenizer adds one) and no eos, and an option is scored as the continuation `" " + option`
 * (lm-evaluation-harness's target delimiter). With a chat template the prompt is the user's turn
 * rendered with the generation prompt, and an option is the assistant's reply itself.
 */
import type { ChatRenderer } from '@flan-ts/templates';

/** What the encodings need of a tokenizer. */
export interface PromptTokenizer {
  encode(text: string, options?: { addSpecialTokens?: boolean }): { ids: ArrayLike<number> };
}

export interface PromptEncoding {
  /** The ids a model is given for `prompt`. */
  prompt(text: string): number[];
  /** The ids scored for an answer option (rank classification). */
  option(text: string): number[];
}

const ids = (tokenizer: PromptTokenizer, text: string, addSpecialTokens?: boolean) =>
  Array.from(
    (addSpecialTokens === undefined ? tokenizer.encode(text) : tokenizer.encode(text, { addSpecialTokens }))
      .ids,
  );

/** The encoding for a model: encoder-decoder, or decoder-only (plain, or through `chat`). */
export function promptEncoding(
  tokenizer: PromptTokenizer,
  decoderOnly: boolean,
  chat?: ChatRenderer,
): PromptEncoding {
  if (!decoderOnly) return { prompt: (t) => ids(tokenizer, t), option: (t) => ids(tokenizer, t) };
  if (chat === undefined)
    return { prompt: (t) => ids(tokenizer, t), option: (t) => ids(tokenizer, ` ${t}`, false) };
  return {
    // The template writes every special token itself, as apply_chat_template(tokenize=True) does.
    prompt: (t) =>
      ids(tokenizer, chat.render([{ role: 'user', content: t }], { addGenerationPrompt: true }), false),
    option: (t) => ids(tokenizer, t, false),
  };
}
