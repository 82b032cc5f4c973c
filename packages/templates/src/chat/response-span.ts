/**
 * Renders a conversation through a chat template and finds the characters of the assistant's final
 * reply, so training can put the loss on the response only (TRL's completion-only loss).
 *
 * The span is found by rendering, not by searching the text: the prompt is the conversation before
 * the reply rendered with `addGenerationPrompt: true`, and the full conversation must start with it
 * (the template is prefix-stable). The reply's position comes from a render with a sentinel in place of
 * the reply, and a third render with the real reply must equal that render with the sentinel replaced,
 * so a template that rewrites the reply (trims it, moves `<think>` blocks) is an error, not a wrong span.
 *
 * What the span covers: the reply and everything the template writes after it, to the end of the
 * text: for Qwen3 `reply<|im_end|>\n`, for Llama 3 `reply<|eot_id|>`. This is what TRL trains on: its
 * completion-only collator puts the loss on every token after the response template, and its Qwen3
 * training template wraps `... + content + '<|im_end|>\n'` in `{% generation %}`. The end-of-turn
 * marker is what teaches the model to stop. What the template writes between the generation prompt
 * and the reply (Qwen3's empty `<think>\n\n</think>\n\n` when thinking is not disabled) is not in the
 * span: at inference the prompt either contains it (`enable_thinking: false`) or the model writes it.
 * A template that writes a generation prompt even without `add_generation_prompt` (some Llama 3 base
 * configs) has it in the span too, as TRL's collator would; at the string level it cannot be told
 * apart from the end of the turn.
 */
import { TemplateError, type TemplateContext } from '../errors';
import type { ChatTurn } from './conversation';

/** What {@link renderChat} needs from a chat template; the tokenizer package's `ChatTemplate` is one. */
export interface ChatRenderer {
  render(
    messages: readonly ChatTurn[],
    options: { addGenerationPrompt?: boolean; kwargs?: Record<string, unknown> },
  ): string;
}

export interface RenderChatOptions {
  /** Extra template variables, as `apply_chat_template`'s keyword arguments (`enable_thinking`, ...). */
  kwargs?: Record<string, unknown>;
  /** Names the task and template in errors (a conversation's `task` and `template`). */
  context?: TemplateContext;
}

/** A rendered conversation and the span `[responseStart, responseEnd)` of its final reply. */
export interface RenderedChat {
  text: string;
  responseStart: number;
  responseEnd: number;
}

// Private-use characters: no template splits on them or treats them as markup.
const SENTINEL = '\uE000flan-reply\uE001';

function firstDifference(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

function around(text: string, at: number): string {
  return JSON.stringify(text.slice(Math.max(0, at - 20), at + 20));
}

/**
 * Renders `messages` (ending with an assistant turn) through `renderer` and returns the text with
 * the span of that last reply. Throws a {@link TemplateError} when the template is not prefix-stable
 * or does not write the reply verbatim.
 */
export function renderChat(
  messages: readonly ChatTurn[],
  renderer: ChatRenderer,
  options: RenderChatOptions = {},
): RenderedChat {
  const last = messages[messages.length - 1];
  if (!last || last.role !== 'assistant' || typeof last.content !== 'string')
    throw new TemplateError(
      'a conversation to train on must end with an assistant turn with string content',
      options.context,
    );
  const kwargs = options.kwargs ? { kwargs: options.kwargs } : {};
  const before = messages.slice(0, -1);
  const prompt = renderer.render(before, { addGenerationPrompt: true, ...kwargs });
  const text = renderer.render(messages, { addGenerationPrompt: false, ...kwargs });
  if (!text.startsWith(prompt)) {
    const at = firstDifference(prompt, text);
    throw new TemplateError(
      `the chat template is not prefix-stable: the conversation renders differently from its prompt at character ${at} (prompt ${around(prompt, at)}, conversation ${around(text, at)}), so the reply's span cannot be found`,
      options.context,
    );
  }
  const marked = renderer.render([...before, { ...last, content: SENTINEL }], {
    addGenerationPrompt: false,
    ...kwargs,
  });
  const start = marked.indexOf(SENTINEL);
  if (
    start < prompt.length ||
    marked.indexOf(SENTINEL, start + 1) >= 0 ||
    marked.slice(0, start) + last.content + marked.slice(start + SENTINEL.length) !== text
  ) {
    throw new TemplateError(
      'the chat template does not write the assistant reply verbatim after the prompt (it rewrites or repeats it), so its span cannot be found',
      options.context,
    );
  }
  return { text, responseStart: start, responseEnd: text.length };
}
