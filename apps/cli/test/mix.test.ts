/**
 * `flan mix` end to end through the built CLI on the example config over the shared Flan CoT data:
 * N lines of {inputs, targets, task, template, format}, identical for a seed, resumable, clean stderr
 * when piped, and clear errors for bad configs.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, sharedFile, sharedFiles } from '@flan-ts/test-support';
import { describe, expect, it } from 'vitest';
import { outputLines as lines, runFlan } from './run-flan';

const flan = (args: string[]) => runFlan(['mix', ...args]);

const config = join(repoRoot, 'packages/templates/examples/cot-mixture.json');
const cotDir = sharedFile('data/flan/cot');

describe.skipIf(!cotDir)('flan mix on the example CoT mixture', () => {
  it('writes N examples with the documented fields, the same for the same seed', async () => {
    const a = await flan(['--config', config, '--n', '300', '--seed', '7']);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    const records = lines(a.stdout).map((l) => JSON.parse(l) as Record<string, string>);
    expect(records).toHaveLength(300);
    for (const r of records) {
      expect(Object.keys(r)).toEqual(['inputs', 'targets', 'task', 'template', 'format']);
      expect(['zero-shot', 'few-shot', 'cot', 'few-shot-cot']).toContain(r['format']);
    }
    expect(new Set(records.map((r) => r['task'])).size).toBe(7);
    const cot = records.filter((r) => r['format'] === 'cot');
    expect(
      cot.every(
        (r) => /answer is .+\.$/.test(r['targets']!) && r['inputs']!.endsWith("Let's think step by step."),
      ),
    ).toBe(true);
    const b = await flan(['--config', config, '--n', '300', '--seed', '7']);
    expect(b.stdout).toBe(a.stdout);
    const c = await flan(['--config', config, '--n', '300', '--seed', '8']);
    expect(c.stdout).not.toBe(a.stdout);
  });

  it('--save-state / --resume continue exactly, and --out writes the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flan-mix-'));
    const whole = await flan(['--config', config, '--n', '120', '--seed', '3']);
    const state = join(dir, 'state.json');
    const first = await flan([
      '--config',
      config,
      '--n',
      '50',
      '--seed',
      '3',
      '--out',
      join(dir, 'a.jsonl'),
      '--save-state',
      state,
    ]);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('');
    const rest = await flan([
      '--config',
      config,
      '--n',
      '70',
      '--resume',
      state,
      '--out',
      join(dir, 'b.jsonl'),
    ]);
    expect(rest.code).toBe(0);
    const joined = readFileSync(join(dir, 'a.jsonl'), 'utf8') + readFileSync(join(dir, 'b.jsonl'), 'utf8');
    expect(joined).toBe(whole.stdout);
  });

  it('bad flags and configs are clear errors', async () => {
    expect((await flan(['--config', config, '--n', 'ten'])).stderr).toContain('--n must be an integer >= 0');
    const dir = mkdtempSync(join(tmpdir(), 'flan-mix-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ tasks: [{ name: 'x', data: 'x.jsonl' }] }));
    const noTemplates = await flan(['--config', bad, '--n', '1']);
    expect(noTemplates.code).toBe(1);
    expect(noTemplates.stderr).toContain('tasks[0]: needs "templates" or "cotTemplates"');
    writeFileSync(join(dir, 'd.jsonl'), '{"q":"a"}\nnot json\n{"q":"b"}\n');
    writeFileSync(
      bad,
      JSON.stringify({
        tasks: [{ name: 'x', data: 'd.jsonl', templates: [{ input: '{q}', target: '{q}' }] }],
      }),
    );
    const badLine = await flan(['--config', bad, '--n', '5']);
    expect(badLine.code).toBe(1);
    expect(badLine.stderr).toContain(`${join(dir, 'd.jsonl')}:2: invalid JSON`);
    writeFileSync(
      bad,
      JSON.stringify({
        tasks: [
          { name: 'x', data: 'd.jsonl', skipInvalid: true, templates: [{ input: '{q}', target: '{q}' }] },
        ],
      }),
    );
    const skipped = await flan(['--config', bad, '--n', '5']);
    expect(skipped.code).toBe(0);
    expect(lines(skipped.stdout)).toHaveLength(5);
    expect(skipped.stderr).toContain(`skipped ${join(dir, 'd.jsonl')}:2: invalid JSON`);
    expect(skipped.stderr).toMatch(/skipped \d+ invalid line\(s\) in the data files/);
  });
});

const spiece = sharedFile('fixtures/tokenizers/t5_spiece.model');
describe.skipIf(!cotDir || !spiece)('flan mix --tokenizer', () => {
  it('few-shot inputs fit maxInputTokens measured with the T5 tokenizer; the rest is dropped and reported', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flan-mix-'));
    const budgeted = join(dir, 'budget.json');
    writeFileSync(
      budgeted,
      JSON.stringify({
        formats: { 'few-shot': 1 },
        fewShot: { shots: 3, maxInputTokens: 120 },
        tasks: [{ name: 'cot_gsm8k', preset: 'flan-cot', data: join(cotDir!, 'gsm8k.jsonl') }],
      }),
    );
    const { code, stdout, stderr } = await flan([
      '--config',
      budgeted,
      '--n',
      '40',
      '--seed',
      '1',
      '--tokenizer',
      spiece!,
    ]);
    expect(code).toBe(0);
    const { loadTokenizer } = await import('@flan-ts/tokenizer/node');
    const tokenizer = await loadTokenizer(spiece!);
    const records = lines(stdout).map((l) => JSON.parse(l) as Record<string, string>);
    expect(records).toHaveLength(40);
    const lengths = records.map(
      (r) => tokenizer.encode(r['inputs']!, { addSpecialTokens: false }).ids.length,
    );
    expect(Math.max(...lengths)).toBeLessThanOrEqual(120);
    // Few-shot prompts hold between 1 and 3 exemplars: some were pruned to fit.
    const shots = records.map((r) => r['inputs']!.split('\n\n').length);
    expect(Math.min(...shots)).toBeGreaterThanOrEqual(2);
    expect(new Set(shots).size).toBeGreaterThan(1);
    expect(stderr === '' || /dropped \d+ few-shot draw/.test(stderr)).toBe(true);
  });
});

const flanFiles = sharedFiles('data/flan/templates.json', 'data/flan/formatting.json');
describe.skipIf(!flanFiles)('flan mix with FLAN templates from a file and random options', () => {
  it('renders FLAN rte templates with seeded random option lists and rewritten answers', async () => {
    const [templates, formatting] = flanFiles!;
    const dir = mkdtempSync(join(tmpdir(), 'flan-mix-'));
    const options = ['yes', 'it is not possible to tell', 'no'];
    const rows = [
      { premise: 'It rained all night.', hypothesis: 'The ground is wet.', options, answer: 'yes' },
      { premise: 'The shop was closed.', hypothesis: 'The shop was open.', options, answer: 'no' },
    ];
    writeFileSync(join(dir, 'rte.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const config = join(dir, 'mix.json');
    writeFileSync(
      config,
      JSON.stringify({
        formatting,
        tasks: [
          {
            name: 'rte',
            data: 'rte.jsonl',
            templates: { file: templates, source: 'patterns', task: 'rte' },
            options: { field: 'options', style: 'random' },
          },
        ],
      }),
    );
    const { code, stdout, stderr } = await flan(['--config', config, '--n', '60', '--seed', '5']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const records = lines(stdout).map((l) => JSON.parse(l) as Record<string, string>);
    expect(records).toHaveLength(60);
    expect(new Set(records.map((r) => r['template'])).size).toBeGreaterThan(3);
    for (const r of records) expect(r['template']).toMatch(/^patterns\[\d\]$/);
    // Most rte templates show the options (a few generate the premise instead).
    const withOptions = records.filter((r) => options.every((o) => r['inputs']!.includes(o)));
    expect(withOptions.length).toBeGreaterThan(30);
    // Lettered / numbered item names rewrite the answer to the item name; bullets keep the answer text.
    const targets = new Set(records.map((r) => r['targets']));
    expect([...targets].some((t) => t !== 'yes' && t !== 'no')).toBe(true);
  });
});

const qwen3Dir = sharedFile('fixtures/tokenizers/qwen3');
describe.skipIf(!cotDir || !qwen3Dir)('flan mix --chat-template (Qwen3)', () => {
  type ChatRecord = {
    text: string;
    response_start: number;
    response_end: number;
    messages: { role: string; content: string }[];
    inputs: string;
    targets: string;
    task: string;
    template: string;
    format: string;
  };
  const parse = (stdout: string) => lines(stdout).map((l) => JSON.parse(l) as ChatRecord);
  const qwenPrompt = '<|im_start|>assistant\n<think>\n\n</think>\n\n';

  it('writes conversations whose span is the target plus <|im_end|>\\n, the draws of plain mix', async () => {
    const plain = await flan(['--config', config, '--n', '200', '--seed', '5']);
    const chat = await flan(['--config', config, '--n', '200', '--seed', '5', '--chat-template', qwen3Dir!]);
    expect(chat.stderr).toBe('');
    expect(chat.code).toBe(0);
    const records = parse(chat.stdout);
    expect(records).toHaveLength(200);
    const { ChatTemplate, loadTokenizerConfig } = await import('@flan-ts/tokenizer/node');
    const template = ChatTemplate.fromConfig((await loadTokenizerConfig(qwen3Dir!))!);
    for (const [i, r] of records.entries()) {
      expect(Object.keys(r)).toEqual([
        'text',
        'response_start',
        'response_end',
        'messages',
        'inputs',
        'targets',
        'task',
        'template',
        'format',
      ]);
      expect(r.messages).toEqual([
        { role: 'user', content: r.inputs },
        { role: 'assistant', content: r.targets },
      ]);
      expect(r.text).toBe(template.render(r.messages));
      expect(r.text.slice(r.response_start, r.response_end)).toBe(`${r.targets}<|im_end|>\n`);
      expect(r.response_end).toBe(r.text.length);
      expect(r.text.slice(0, r.response_start).endsWith(qwenPrompt)).toBe(true);
      const { text: _t, response_start: _s, response_end: _e, messages: _m, ...fields } = r;
      expect(JSON.stringify(fields)).toBe(lines(plain.stdout)[i]);
    }
    expect(new Set(records.map((r) => r.format)).size).toBe(4);
  });

  it('--few-shot-turns makes exemplars earlier turns; --system opens every conversation', async () => {
    const { code, stdout, stderr } = await flan([
      '--config',
      config,
      '--n',
      '120',
      '--seed',
      '2',
      '--chat-template',
      join(qwen3Dir!, 'tokenizer_config.json'),
      '--few-shot-turns',
      '--chat-kwargs',
      '{"enable_thinking": false}',
      '--system',
      'You are a careful reasoner.',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const records = parse(stdout);
    const fewShot = records.filter((r) => r.format.startsWith('few-shot'));
    expect(fewShot.length).toBeGreaterThan(10);
    for (const r of records) {
      expect(r.text.startsWith('<|im_start|>system\nYou are a careful reasoner.<|im_end|>\n')).toBe(true);
      expect(r.text.slice(r.response_start, r.response_end)).toBe(`${r.targets}<|im_end|>\n`);
      expect(r.text.slice(0, r.response_start).endsWith(qwenPrompt)).toBe(true);
      const turns = r.messages.length - 1;
      if (r.format.startsWith('few-shot')) {
        expect(turns).toBeGreaterThanOrEqual(4);
        expect(turns % 2).toBe(0);
        // Each exemplar's reply is inside the FLAN inline prompt, which stays in `inputs`.
        for (const m of r.messages.slice(1, -2)) expect(r.inputs).toContain(m.content);
      } else expect(turns).toBe(2);
    }
  });

  it('--chat-kwargs variables reach the template', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flan-mix-'));
    const chatTemplate =
      "{{ greeting }}{% for m in messages %}[{{ m.role }}] {{ m.content }}{{ '<END>' if m.role == 'assistant' }}\n{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}";
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ chat_template: chatTemplate }));
    const { code, stdout, stderr } = await flan([
      '--config',
      config,
      '--n',
      '20',
      '--chat-template',
      dir,
      '--chat-kwargs',
      '{"greeting": "Hi!\\n"}',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    for (const r of parse(stdout)) {
      expect(r.text).toBe(`Hi!\n[user] ${r.inputs}\n[assistant] ${r.targets}<END>\n`);
      expect(r.text.slice(r.response_start, r.response_end)).toBe(`${r.targets}<END>\n`);
    }
  });

  it("a target Qwen3's template rewrites (a think block) is an error naming the task", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flan-mix-'));
    writeFileSync(join(dir, 'd.jsonl'), JSON.stringify({ q: 'Why?', a: '<think>hm</think>Because.' }) + '\n');
    const thinking = join(dir, 'mix.json');
    writeFileSync(
      thinking,
      JSON.stringify({
        tasks: [{ name: 'why', data: 'd.jsonl', templates: [{ input: '{q}', target: '{a}' }] }],
      }),
    );
    const { code, stdout, stderr } = await flan([
      '--config',
      thinking,
      '--n',
      '1',
      '--chat-template',
      qwen3Dir!,
    ]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('task "why"');
    expect(stderr).toContain('does not write the assistant reply verbatim');
    expect(stderr).not.toContain('    at ');
  });

  it("a template's raise_exception names the example's task", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flan-mix-'));
    const chatTemplate = "{{ raise_exception('no system role here') }}";
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ chat_template: chatTemplate }));
    const { code, stderr } = await flan(['--config', config, '--n', '1', '--chat-template', dir]);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^flan: task "[a-z_]+", template [^:]+: chat template raised: no system role here\n$/,
    );
  });

  it('bad chat flags are clear errors', async () => {
    const noTemplate = await flan(['--config', config, '--n', '1', '--few-shot-turns']);
    expect(noTemplate.code).toBe(1);
    expect(noTemplate.stderr).toContain('--few-shot-turns needs --chat-template');
    const badKwargs = await flan([
      '--config',
      config,
      '--n',
      '1',
      '--chat-template',
      qwen3Dir!,
      '--chat-kwargs',
      '[1]',
    ]);
    expect(badKwargs.code).toBe(1);
    expect(badKwargs.stderr).toContain('--chat-kwargs must be a JSON object');
    const dir = mkdtempSync(join(tmpdir(), 'flan-mix-'));
    const missing = await flan(['--config', config, '--n', '1', '--chat-template', dir]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no tokenizer_config\.json|cannot load chat template/);
    expect(missing.stderr).not.toContain('    at ');
  });
});
