/**
 * Chat templates against Jinja2 + transformers' apply_chat_template: every line of
 * qwen3_chat.jsonl renders to the reference string, and tokenizing the render gives the ids the
 * string gives. Bad input names the message; a template's raise_exception names its message.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedFiles } from '@flan-ts/test-support';
import { ChatTemplate, ChatTemplateError, strftime } from '../src/index';
import type { ChatMessage } from '../src/index';
import { loadAutoTokenizer } from '../src/node';

interface ChatLine {
  messages: ChatMessage[];
  kwargs: Record<string, unknown>;
  rendered: string;
}

const paths = sharedFiles(
  'fixtures/tokenizers/qwen3/tokenizer_config.json',
  'fixtures/tokenizers/qwen3_chat.jsonl',
);

describe.skipIf(!paths)('Qwen3 chat template against qwen3_chat.jsonl', async () => {
  const [configPath, referencePath] = paths!;
  const tokenizer = await loadAutoTokenizer(configPath.replace(/\/tokenizer_config\.json$/, ''));
  const template = ChatTemplate.fromConfig(tokenizer.config!);
  const lines = readFileSync(referencePath, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as ChatLine);

  const render = (line: ChatLine): string => {
    const { add_generation_prompt, tools, documents, ...kwargs } = line.kwargs;
    return template.render(line.messages, {
      addGenerationPrompt: add_generation_prompt === true,
      tools: (tools as unknown[] | undefined) ?? null,
      documents: (documents as unknown[] | undefined) ?? null,
      kwargs,
    });
  };

  it('renders every line exactly (38 lines)', () => {
    expect(lines).toHaveLength(38);
    const mismatches = lines.map((l, i) => (render(l) === l.rendered ? '' : `line ${i + 1}`)).filter(Boolean);
    expect(mismatches).toEqual([]);
  });

  it('tokenizing a render gives the ids of the string, special tokens as single ids', () => {
    const rendered = render(lines[0]!);
    expect(rendered).toBe('<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n');
    expect(Array.from(tokenizer.encode(rendered).ids)).toEqual([
      151644, 872, 198, 9707, 0, 151645, 198, 151644, 77091, 198,
    ]);
  });

  it('names a message without role or content', () => {
    expect(() => template.render([{ role: 'user', content: 'a' }, { content: 'b' } as never])).toThrow(
      'messages[1] has no string "role"',
    );
    expect(() => template.render([{ role: 'user' }])).toThrow('messages[0] (role "user") has no "content"');
  });
});

describe('ChatTemplate globals', () => {
  it('raise_exception surfaces the template message', () => {
    const t = new ChatTemplate(
      "{% if messages[0].role != 'user' %}{{ raise_exception('Conversations must start with a user turn') }}{% endif %}",
    );
    let error: unknown;
    try {
      t.render([{ role: 'assistant', content: 'x' }]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ChatTemplateError);
    expect((error as ChatTemplateError).message).toBe(
      'chat template raised: Conversations must start with a user turn',
    );
    expect((error as ChatTemplateError).templateMessage).toBe('Conversations must start with a user turn');
  });

  it('strftime_now formats as Python in the C locale', () => {
    const t = new ChatTemplate('{{ strftime_now("%d %b %Y %A %-d %H:%M:%S %j %%") }}');
    t.now = () => new Date(2026, 0, 5, 7, 8, 9);
    expect(t.render([])).toBe('05 Jan 2026 Monday 5 07:08:09 005 %');
    expect(strftime(new Date(2024, 11, 31, 13), '%I%p %B %y')).toBe('01PM December 24');
  });

  it('passes special tokens, tools, documents and extra kwargs as variables; kwargs win', () => {
    const t = new ChatTemplate(
      '{{ eos_token }}|{{ tools | tojson }}|{{ documents }}|{{ enable_thinking }}|{{ add_generation_prompt }}',
      { eos_token: '</s>' },
    );
    // Known difference from Jinja2: printing none/false gives "" and "false" here, "None"/"False"
    // in Python. Templates test these values rather than print them, as Qwen3's does.
    expect(t.render([], { tools: [{ name: 'f', a: [1, 'é'] }], kwargs: { enable_thinking: false } })).toBe(
      '</s>|[{"name": "f", "a": [1, "é"]}]||false|false',
    );
    expect(t.render([], { kwargs: { eos_token: 'X' } })).toMatch(/^X\|/);
  });

  it('range and loop controls work', () => {
    const t = new ChatTemplate(
      '{% for i in range(5) %}{% if i == 3 %}{% break %}{% endif %}{{ i }}{% endfor %}',
    );
    expect(t.render([])).toBe('012');
  });
});
