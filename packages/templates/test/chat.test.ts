/**
 * Flan examples as conversations, and the span of the reply in a rendered chat. The renderers here
 * are written by hand after Qwen3's template (the real template runs in the CLI test of `flan mix
 * --chat-template` and the templates README test, through @flan-ts/tokenizer).
 */
import { describe, expect, it } from 'vitest';
import {
  arraySource,
  ConfigError,
  exampleToConversation,
  MixtureSampler,
  Registry,
  renderChat,
  resolveMixture,
  TemplateError,
  toConversations,
  type ChatRenderer,
  type ChatTurn,
  type MixedExample,
} from '../src/index';

/** Qwen3's chat template in TypeScript: reasoning shown only after the last user turn, as the original. */
const qwen3Like: ChatRenderer = {
  render(messages, { addGenerationPrompt = false, kwargs = {} }) {
    let lastQuery = messages.length - 1;
    for (let i = messages.length - 1; i >= 0; i--)
      if (messages[i]!.role === 'user') {
        lastQuery = i;
        break;
      }
    let out = '';
    messages.forEach((m, i) => {
      if (m.role !== 'assistant') {
        out += `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`;
        return;
      }
      let content = m.content;
      let reasoning = '';
      if (content.includes('</think>')) {
        reasoning = content
          .split('</think>')[0]!
          .replace(/\n+$/, '')
          .split('<think>')
          .pop()!
          .replace(/^\n+/, '');
        content = content.split('</think>').pop()!.replace(/^\n+/, '');
      }
      if (i > lastQuery)
        out += `<|im_start|>assistant\n<think>\n${reasoning.replace(/^\n+|\n+$/g, '')}\n</think>\n\n${content.replace(/^\n+/, '')}`;
      else out += `<|im_start|>assistant\n${content}`;
      out += '<|im_end|>\n';
    });
    if (addGenerationPrompt) {
      out += '<|im_start|>assistant\n';
      if (kwargs.enable_thinking === false) out += '<think>\n\n</think>\n\n';
    }
    return out;
  },
};

const registry = new Registry().addTask({
  name: 'capitals',
  source: arraySource([
    { country: 'France', capital: 'Paris' },
    { country: 'Japan', capital: 'Tokyo' },
    { country: 'Kenya', capital: 'Nairobi' },
    { country: 'Peru', capital: 'Lima' },
    { country: 'Chile', capital: 'Santiago' },
  ]),
  templates: [{ name: 'ask', input: 'What is the capital of {country}?', target: '{capital}' }],
  formats: { 'zero-shot': 1, 'few-shot': 1 },
  fewShot: { shots: 2 },
});
const mixture = await resolveMixture(registry, { name: 'demo', tasks: ['capitals'] });

async function sample(n: number, keepFewShotParts: boolean): Promise<MixedExample[]> {
  const sampler = new MixtureSampler(mixture, { seed: 7, keepFewShotParts });
  const out: MixedExample[] = [];
  for await (const e of sampler.take(n)) out.push(e);
  await sampler.close();
  return out;
}

const zeroShot: MixedExample = {
  inputs: 'What is the capital of France?',
  targets: 'Paris',
  task: 'capitals',
  template: 'ask',
  format: 'zero-shot',
};

describe('exampleToConversation', () => {
  it('makes the input the user turn and the target the reply, keeping the example fields', () => {
    expect(exampleToConversation(zeroShot)).toEqual({
      messages: [
        { role: 'user', content: 'What is the capital of France?' },
        { role: 'assistant', content: 'Paris' },
      ],
      task: 'capitals',
      template: 'ask',
      format: 'zero-shot',
    });
    expect(exampleToConversation(zeroShot, { system: 'Be brief.' }).messages[0]).toEqual({
      role: 'system',
      content: 'Be brief.',
    });
  });

  it('puts few-shot exemplars inline by default and as earlier turns on request', async () => {
    const plain = await sample(12, false);
    const parts = await sample(12, true);
    // Keeping the parts draws exactly the same examples.
    expect(parts.map(({ fewShot: _, ...rest }) => rest)).toEqual(plain);
    const fewShot = parts.filter((e) => e.format === 'few-shot');
    expect(fewShot.length).toBeGreaterThan(2);
    for (const example of fewShot) {
      const inline = exampleToConversation(example);
      expect(inline.messages).toEqual([
        { role: 'user', content: example.inputs },
        { role: 'assistant', content: example.targets },
      ]);
      const turns = exampleToConversation(example, { fewShot: 'turns' }).messages;
      expect(turns).toHaveLength(2 * 2 + 2);
      expect(turns.map((t) => t.role)).toEqual([
        'user',
        'assistant',
        'user',
        'assistant',
        'user',
        'assistant',
      ]);
      // The parts, joined with FLAN's default few-shot layout, give back the inline prompt exactly.
      const [a, b, final] = [turns[0]!, turns[2]!, turns[4]!];
      expect(example.inputs).toBe(
        `${a.content}\n\n${turns[1]!.content}\n\n\n${b.content}\n\n${turns[3]!.content}\n\n\n${final.content}\n\n`,
      );
      expect(new Set([a.content, b.content, final.content]).size).toBe(3);
      expect(turns[4]!.content).toMatch(/^What is the capital of \w+\?$/);
      expect(turns[5]!.content).toBe(example.targets);
    }
  });

  it('asks for keepFewShotParts when a few-shot example lacks them', async () => {
    const example = (await sample(12, false)).find((e) => e.format === 'few-shot')!;
    expect(() => exampleToConversation(example, { fewShot: 'turns' })).toThrow(ConfigError);
    expect(() => exampleToConversation(example, { fewShot: 'turns' })).toThrow(/keepFewShotParts: true/);
  });

  it('maps a sampler stream', async () => {
    const sampler = new MixtureSampler(mixture, { seed: 7 });
    const out = [];
    for await (const c of toConversations(sampler.take(5))) out.push(c);
    expect(out.map((c) => c.messages.at(-1)!.content)).toEqual(
      (await sample(5, false)).map((e) => e.targets),
    );
  });
});

describe('renderChat', () => {
  const messages: ChatTurn[] = [
    { role: 'user', content: 'What is the capital of France?' },
    { role: 'assistant', content: 'Paris' },
  ];

  it("spans the reply and Qwen3's end of turn, not the empty think block", () => {
    const { text, responseStart, responseEnd } = renderChat(messages, qwen3Like);
    expect(text).toBe(
      '<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nParis<|im_end|>\n',
    );
    expect(text.slice(responseStart, responseEnd)).toBe('Paris<|im_end|>\n');
    expect(responseStart).toBe(text.length - 'Paris<|im_end|>\n'.length);
    expect(responseEnd).toBe(text.length);
  });

  it("spans Llama 3's reply and <|eot_id|>; a template that always adds the generation prompt has it too", () => {
    const llama3 = (always: boolean): ChatRenderer => ({
      render: (turns, { addGenerationPrompt = false }) =>
        '<|begin_of_text|>' +
        turns
          .map((t) => `<|start_header_id|>${t.role}<|end_header_id|>\n\n${t.content.trim()}<|eot_id|>`)
          .join('') +
        (addGenerationPrompt || always ? '<|start_header_id|>assistant<|end_header_id|>\n\n' : ''),
    });
    const official = renderChat(messages, llama3(false));
    expect(official.text.slice(official.responseStart, official.responseEnd)).toBe('Paris<|eot_id|>');
    expect(official.text.slice(0, official.responseStart)).toBe(
      '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is the capital of France?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
    );
    const always = renderChat(messages, llama3(true));
    expect(always.text.slice(always.responseStart, always.responseEnd)).toBe(
      'Paris<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
    );
    // `| trim` rewrites a reply with outer spaces: an error, not a shifted span.
    expect(() => renderChat([messages[0]!, { role: 'assistant', content: ' Paris' }], llama3(false))).toThrow(
      /verbatim/,
    );
  });

  it('with enable_thinking false the prompt before the span is the generation prompt', () => {
    const kwargs = { enable_thinking: false };
    const { text, responseStart } = renderChat(messages, qwen3Like, { kwargs });
    expect(text.slice(0, responseStart)).toBe(
      qwen3Like.render(messages.slice(0, 1), { addGenerationPrompt: true, kwargs }),
    );
    expect(text.slice(responseStart)).toBe('Paris<|im_end|>\n');
  });

  it('finds the reply even where its text also occurs earlier (few-shot turns)', () => {
    const turns: ChatTurn[] = [
      { role: 'user', content: 'Say think.' },
      { role: 'assistant', content: 'think' },
      { role: 'user', content: 'Say think.' },
      { role: 'assistant', content: 'think' },
    ];
    const { text, responseStart, responseEnd } = renderChat(turns, qwen3Like);
    expect(text.slice(responseStart, responseEnd)).toBe('think<|im_end|>\n');
    expect(text.lastIndexOf('think<|im_end|>')).toBe(responseStart);
  });

  it('rejects a template that is not prefix-stable, naming where it differs', () => {
    const counting: ChatRenderer = {
      render: (turns, o) =>
        qwen3Like.render([{ role: 'system', content: `${turns.length} turns` }, ...turns], o),
    };
    expect(() => renderChat(messages, counting)).toThrow(TemplateError);
    expect(() => renderChat(messages, counting)).toThrow(/not prefix-stable.*at character 19/);
  });

  it('rejects a reply the template rewrites (Qwen3 moves a think block, strips leading newlines)', () => {
    const think: ChatTurn[] = [messages[0]!, { role: 'assistant', content: '<think>r</think>Paris' }];
    expect(() => renderChat(think, qwen3Like)).toThrow(/does not write the assistant reply verbatim/);
    const newline: ChatTurn[] = [messages[0]!, { role: 'assistant', content: '\nParis' }];
    expect(() => renderChat(newline, qwen3Like)).toThrow(/verbatim/);
    const context = { task: 'capitals', template: 'ask' };
    expect(() => renderChat(newline, qwen3Like, { context })).toThrow(
      /^task "capitals", template ask: the chat template does not write/,
    );
  });

  it('needs a final assistant turn', () => {
    expect(() => renderChat(messages.slice(0, 1), qwen3Like)).toThrow(/must end with an assistant turn/);
  });

  it('spans every sampled example, inline and as turns', async () => {
    for (const example of await sample(20, true)) {
      for (const fewShot of ['inline', 'turns'] as const) {
        const { messages: turns } = exampleToConversation(example, { fewShot });
        const { text, responseStart, responseEnd } = renderChat(turns, qwen3Like);
        expect(text.slice(responseStart, responseEnd)).toBe(`${example.targets}<|im_end|>\n`);
        expect(text.slice(0, responseStart).endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n')).toBe(
          true,
        );
      }
    }
  });
});
