/**
 * Chat templates as transformers' `apply_chat_template` renders them, on `@huggingface/jinja` (the
 * Jinja that transformers.js uses; trim_blocks and lstrip_blocks are built in, `tojson` writes
 * Python's `json.dumps(ensure_ascii=False)` form). This module replaces two of its globals:
 * `raise_exception`, so a template's own message reaches the user as a {@link ChatTemplateError},
 * and `strftime_now`, which upstream formats with the host locale and few directives, where Python
 * uses the C locale and the full set.
 */
import { Environment, Interpreter, Template } from '@huggingface/jinja';
import type { TokenizerConfig } from './config';
import { specialTokensMap } from './config';
import { TokenizerError } from './errors';

/** One conversation turn; templates read `role`, `content` and whatever else they know (`tool_calls`...). */
export interface ChatMessage {
  role: string;
  content?: unknown;
  [key: string]: unknown;
}

/** `apply_chat_template`'s arguments besides the messages. */
export interface ChatTemplateOptions {
  /** End with the opening of an assistant turn. Default false. */
  addGenerationPrompt?: boolean;
  /** Tool (function) schemas, as `tools=`. */
  tools?: readonly unknown[] | null;
  /** Retrieval documents, as `documents=`. */
  documents?: readonly unknown[] | null;
  /** Further template variables, as `**kwargs` (`enable_thinking`, ...). They override the special tokens. */
  kwargs?: Record<string, unknown>;
}

/** A template that called `raise_exception`, or failed to parse or render. */
export class ChatTemplateError extends TokenizerError {
  override name = 'ChatTemplateError';
  /** The message the template passed to `raise_exception`, when that is what failed. */
  readonly templateMessage: string | undefined;

  constructor(message: string, templateMessage?: string, options?: { cause?: unknown }) {
    super('INVALID_INPUT', message, options);
    this.templateMessage = templateMessage;
  }
}

class RaisedByTemplate extends Error {}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** Python's `datetime.strftime` in the C locale (glibc's `%-d` style no-padding flag included). */
export function strftime(date: Date, format: string): string {
  return format.replace(/%(-?)([a-zA-Z%])/g, (whole, noPad: string, code: string) => {
    const pad = (n: number, width = 2): string => (noPad ? String(n) : String(n).padStart(width, '0'));
    const hour12 = date.getHours() % 12 === 0 ? 12 : date.getHours() % 12;
    const start = new Date(date.getFullYear(), 0, 1);
    const dayOfYear = Math.floor((date.getTime() - start.getTime()) / 86_400_000) + 1;
    switch (code) {
      case 'Y':
        return String(date.getFullYear());
      case 'y':
        return pad(date.getFullYear() % 100);
      case 'm':
        return pad(date.getMonth() + 1);
      case 'd':
        return pad(date.getDate());
      case 'e':
        return String(date.getDate()).padStart(2, ' ');
      case 'H':
        return pad(date.getHours());
      case 'I':
        return pad(hour12);
      case 'M':
        return pad(date.getMinutes());
      case 'S':
        return pad(date.getSeconds());
      case 'p':
        return date.getHours() < 12 ? 'AM' : 'PM';
      case 'j':
        return pad(dayOfYear, 3);
      case 'a':
        return DAYS[date.getDay()]!.slice(0, 3);
      case 'A':
        return DAYS[date.getDay()]!;
      case 'b':
        return MONTHS[date.getMonth()]!.slice(0, 3);
      case 'B':
        return MONTHS[date.getMonth()]!;
      case 'w':
        return String(date.getDay());
      case '%':
        return '%';
      default:
        return whole;
    }
  });
}

function range(start: number, stop?: number, step = 1): number[] {
  const [from, to] = stop === undefined ? [0, start] : [start, stop];
  if (step === 0) throw new RaisedByTemplate('range() arg 3 must not be zero');
  const out: number[] = [];
  for (let i = from; step > 0 ? i < to : i > to; i += step) out.push(i);
  return out;
}

/** Checks what every template relies on, naming the offending message. */
export function validateMessages(messages: unknown): asserts messages is ChatMessage[] {
  if (!Array.isArray(messages)) throw new ChatTemplateError('"messages" must be an array of {role, content}');
  messages.forEach((m: unknown, i) => {
    if (m === null || typeof m !== 'object' || Array.isArray(m))
      throw new ChatTemplateError(`messages[${i}] must be an object with "role" and "content"`);
    const message = m as Record<string, unknown>;
    if (typeof message.role !== 'string') throw new ChatTemplateError(`messages[${i}] has no string "role"`);
    // An assistant turn that only calls tools may leave content out.
    if (!('content' in message) && !('tool_calls' in message))
      throw new ChatTemplateError(`messages[${i}] (role "${message.role}") has no "content"`);
  });
}

/** A parsed chat template with the special-token variables transformers passes to it. */
export class ChatTemplate {
  readonly source: string;
  private readonly template: Template;
  private readonly specialTokens: Record<string, unknown>;
  /** The clock `strftime_now` reads; replaceable for reproducible renders. */
  now: () => Date = () => new Date();

  constructor(source: string, specialTokens: Record<string, unknown> = {}) {
    this.source = source;
    this.specialTokens = specialTokens;
    try {
      this.template = new Template(source);
    } catch (error) {
      throw new ChatTemplateError(`chat template does not parse: ${(error as Error).message}`, undefined, {
        cause: error,
      });
    }
  }

  /**
   * The template of a `tokenizer_config.json`: its only one, or `name` among several (transformers
   * picks `"default"` when no name is given).
   */
  static fromConfig(config: TokenizerConfig, name?: string): ChatTemplate {
    const template = config.chatTemplate;
    if (template === undefined) throw new ChatTemplateError('tokenizer_config.json has no chat_template');
    let text: string | undefined;
    if (typeof template === 'string') {
      if (name !== undefined && name !== 'default')
        throw new ChatTemplateError(`tokenizer_config.json has one chat_template, not one named "${name}"`);
      text = template;
    } else {
      text = template[name ?? 'default'];
      if (text === undefined)
        throw new ChatTemplateError(
          `tokenizer_config.json has no chat_template named "${name ?? 'default'}" (it has ${Object.keys(template).join(', ')})`,
        );
    }
    return new ChatTemplate(text, specialTokensMap(config));
  }

  /** Renders a conversation to the exact string transformers' `apply_chat_template(tokenize=False)` gives. */
  render(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
    validateMessages(messages);
    const env = new Environment();
    const variables: Record<string, unknown> = {
      false: false,
      true: true,
      none: null,
      False: false,
      True: true,
      None: null,
      range,
      raise_exception: (message: unknown) => {
        throw new RaisedByTemplate(String(message));
      },
      strftime_now: (format: unknown) => strftime(this.now(), String(format)),
      messages,
      tools: options.tools ?? null,
      documents: options.documents ?? null,
      add_generation_prompt: options.addGenerationPrompt ?? false,
      ...this.specialTokens,
      ...options.kwargs,
    };
    for (const [key, value] of Object.entries(variables)) {
      // JSON's undefined has no Jinja value; leave such a key undefined, as Jinja would.
      if (value !== undefined) env.set(key, value);
    }
    try {
      const result = new Interpreter(env).run(this.template.parsed);
      return String(result.value);
    } catch (error) {
      if (error instanceof RaisedByTemplate)
        throw new ChatTemplateError(`chat template raised: ${error.message}`, error.message, {
          cause: error,
        });
      throw new ChatTemplateError(`chat template failed: ${(error as Error).message}`, undefined, {
        cause: error,
      });
    }
  }
}
