/**
 * How texts become an {@link Example}, per architecture: the encoder-decoder way (T5: inputs and
 * targets each with eos), the decoder-only way (TRL's prompt-completion: the prompt with the
 * tokenizer's special tokens, the completion then eos), or through a chat template (a conversation
 * rendered as `apply_chat_template` does; the prompt is the text before the assistant's reply, the
 * response is the reply with the template's end-of-turn marker, so the loss falls on it alone).
 */
import { renderChat, type ChatRenderer, type ChatTurn } from '@flan-ts/templates';
import type { Example } from './example';
import { tokenizeText, type ExampleTokenizer } from './sources';

/** What a decoder-only or chat encoder needs of a tokenizer (`@flan-ts/tokenizer`'s satisfy it). */
export interface SpecialTokensTokenizer {
  encode(text: string, options?: { addSpecialTokens?: boolean }): { readonly ids: ArrayLike<number> };
}

/** Turns texts (or a conversation) into token ids. */
export interface ExampleEncoder {
  /** A prompt and its response. */
  text(inputs: string, targets: string): Example;
  /** A conversation ending with the assistant's reply (JSONL `{messages}` lines); absent when unsupported. */
  conversation?(messages: readonly ChatTurn[]): Example;
}

/** T5: inputs and targets tokenized with eos appended (seqio's `append_eos_after_trim`). */
export function encoderDecoderEncoder(tokenizer: ExampleTokenizer): ExampleEncoder {
  return {
    text: (inputs, targets) => ({
      inputs: tokenizeText(inputs, tokenizer),
      targets: tokenizeText(targets, tokenizer),
      eos: tokenizer.eosId,
    }),
  };
}

/** Decoder-only, no template: the prompt with the tokenizer's special tokens, the completion without, then eos. */
export function promptCompletionEncoder(tokenizer: SpecialTokensTokenizer, eosId: number): ExampleEncoder {
  return {
    text(inputs, targets) {
      const prompt = Array.from(tokenizer.encode(inputs).ids);
      const response = Array.from(tokenizer.encode(targets, { addSpecialTokens: false }).ids);
      if (response[response.length - 1] !== eosId) response.push(eosId);
      return { inputs: prompt, targets: response, eos: eosId };
    },
  };
}

/**
 * Decoder-only through a chat template: a prompt/response pair becomes a user and an assistant
 * turn. The template writes every special token itself, so none are added (`apply_chat_template`
 * tokenizes with `add_special_tokens=False`).
 */
export function chatEncoder(
  tokenizer: SpecialTokensTokenizer,
  template: ChatRenderer,
  options: { system?: string; kwargs?: Record<string, unknown> } = {},
): ExampleEncoder {
  const ids = (text: string) => Array.from(tokenizer.encode(text, { addSpecialTokens: false }).ids);
  const conversation = (messages: readonly ChatTurn[]): Example => {
    const rendered = renderChat(messages, template, options.kwargs ? { kwargs: options.kwargs } : {});
    return {
      inputs: ids(rendered.text.slice(0, rendered.responseStart)),
      targets: ids(rendered.text.slice(rendered.responseStart, rendered.responseEnd)),
    };
  };
  return {
    text: (inputs, targets) =>
      conversation([
        ...(options.system !== undefined ? [{ role: 'system', content: options.system }] : []),
        { role: 'user', content: inputs },
        { role: 'assistant', content: targets },
      ]),
    conversation,
  };
}
