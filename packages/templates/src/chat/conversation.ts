/**
 * A Flan example as a chat conversation: the rendered input is the user's turn and the target the
 * assistant's reply, the shape chat-tuned decoder models are finetuned on. Few-shot exemplars become
 * earlier user/assistant turns, or stay inline in the first user message as FLAN writes them.
 */
import { ConfigError } from '../errors';
import type { MixedExample } from '../tasks/render-example';
import type { FormatName } from '../tasks/task';

/**
 * One turn, in the `{role, content}` form chat templates read. A type alias, not an interface, so it
 * is assignable to message types with an index signature (the tokenizer's `ChatMessage`).
 */
export type ChatTurn = { role: string; content: string };

/** A Flan example as a conversation, ending with the assistant's reply (the training target). */
export interface Conversation {
  messages: ChatTurn[];
  task: string;
  template: string;
  format: FormatName;
  inverted?: true;
}

export interface ConversationOptions {
  /**
   * Where a few-shot example's exemplars go: `'inline'` (default) keeps the FLAN prompt, exemplars and
   * all, as the one user message; `'turns'` makes each exemplar a user/assistant pair before the final
   * user message (needs examples sampled with `keepFewShotParts: true`).
   */
  fewShot?: 'inline' | 'turns';
  /** A system message to open every conversation with. */
  system?: string;
}

/** The conversation of one sampled example. */
export function exampleToConversation(
  example: MixedExample,
  options: ConversationOptions = {},
): Conversation {
  const messages: ChatTurn[] = [];
  if (options.system !== undefined) messages.push({ role: 'system', content: options.system });
  const fewShot = example.format === 'few-shot' || example.format === 'few-shot-cot';
  if (fewShot && options.fewShot === 'turns') {
    const parts = example.fewShot;
    if (!parts)
      throw new ConfigError(
        `task "${example.task}": few-shot turns need the exemplars apart; sample with keepFewShotParts: true`,
      );
    for (const shot of parts.exemplars) {
      messages.push({ role: 'user', content: shot.inputs });
      messages.push({ role: 'assistant', content: shot.targets });
    }
    messages.push({ role: 'user', content: parts.inputs });
  } else {
    messages.push({ role: 'user', content: example.inputs });
  }
  messages.push({ role: 'assistant', content: example.targets });
  return {
    messages,
    task: example.task,
    template: example.template,
    format: example.format,
    ...(example.inverted ? { inverted: true as const } : {}),
  };
}

/** Maps a stream of sampled examples (e.g. `sampler.take(n)`) to conversations. */
export async function* toConversations(
  examples: AsyncIterable<MixedExample> | Iterable<MixedExample>,
  options: ConversationOptions = {},
): AsyncGenerator<Conversation> {
  for await (const example of examples) yield exampleToConversation(example, options);
}
