/**
 * `flan render` end to end through the built CLI: every reference rendering comes back with exactly
 * the reference input and target; bad lines name file and line, or are skipped and counted.
 */
import { readFileSync } from 'node:fs';
import { sharedFiles } from '@flan-ts/test-support';
import { describe, expect, it } from 'vitest';
import { outputLines as lines, runFlan } from './run-flan';

const flan = (args: string[], input = '') => runFlan(['render', ...args], input);

const paths = sharedFiles('data/flan/reference_renderings.jsonl', 'data/flan/templates.json');

describe.skipIf(!paths)('flan render --jsonl on the FLAN reference renderings', () => {
  const [referencePath, templatesPath] = paths ?? ['', ''];

  it('adds exactly the reference input and target to every record', async () => {
    const references = lines(readFileSync(referencePath, 'utf8')).map(
      (l) => JSON.parse(l) as Record<string, unknown>,
    );
    // Feed the records without their answers; the CLI has to produce them.
    const stripped = references.map((r) => {
      const { input: _i, target: _t, combined_input: _ci, combined_target: _ct, ...rest } = r;
      return JSON.stringify(rest);
    });
    const { code, stdout, stderr } = await flan(
      ['--templates', templatesPath, '--jsonl', '--combined'],
      stripped.join('\n') + '\n',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = lines(stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out).toHaveLength(references.length);
    const mismatches = references.filter((ref, i) => {
      const got = out[i]!;
      return (
        got['input'] !== ref['input'] ||
        got['target'] !== ref['target'] ||
        got['combined_input'] !== ref['combined_input'] ||
        got['combined_target'] !== ref['combined_target'] ||
        JSON.stringify(Object.keys(got).sort()) !== JSON.stringify(Object.keys(ref).sort())
      );
    });
    expect(mismatches.map((m) => m['id'])).toEqual([]);
  });

  it('reading the reference file itself (--input) reproduces it record for record', async () => {
    const { code, stdout } = await flan(['--templates', templatesPath, '--jsonl', '--input', referencePath]);
    expect(code).toBe(0);
    const expected = lines(readFileSync(referencePath, 'utf8')).map((l) => JSON.parse(l));
    expect(lines(stdout).map((l) => JSON.parse(l))).toEqual(expected);
  });

  it('a bad line names stdin and the line; --skip-invalid counts it and goes on', async () => {
    const good = JSON.stringify({
      source: 'patterns',
      task: 'rte',
      template_index: 0,
      example: { premise: 'p', hypothesis: 'h', options_: 'o', answer: 'a' },
    });
    const missing = JSON.stringify({
      source: 'patterns',
      task: 'rte',
      template_index: 0,
      example: { premise: 'p' },
    });
    const input =
      [
        good,
        missing,
        '{broken',
        JSON.stringify({ source: 'patterns', task: 'nope', template_index: 0, example: {} }),
      ].join('\n') + '\n';
    const failed = await flan(['--templates', templatesPath, '--jsonl'], input);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      /^flan: <stdin>:2: task "rte", template patterns\[0\]: missing field "hypothesis"/,
    );
    const skipped = await flan(['--templates', templatesPath, '--jsonl', '--skip-invalid'], input);
    expect(skipped.code).toBe(0);
    expect(lines(skipped.stdout)).toHaveLength(1);
    expect(skipped.stderr).toContain('<stdin>:3: invalid JSON');
    expect(skipped.stderr).toContain('<stdin>:4: task "nope": unknown task in source "patterns"');
    expect(skipped.stderr).toContain('skipped 3 invalid line(s) of 4 in <stdin>');
  });

  it('without --jsonl, or with a missing templates file, it fails clearly', async () => {
    expect((await flan(['--templates', templatesPath])).stderr).toContain('pass --jsonl');
    const missing = await flan(['--templates', '/nonexistent/t.json', '--jsonl']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read /nonexistent/t.json');
  });
});

const chat = sharedFiles(
  'fixtures/tokenizers/qwen3/tokenizer_config.json',
  'fixtures/tokenizers/qwen3_chat.jsonl',
);

describe.skipIf(!chat)('flan render --chat-template on qwen3_chat.jsonl', () => {
  const [configPath, referencePath] = chat ?? ['', ''];

  it('renders every line exactly, and --tokenize adds the ids of the string', async () => {
    const references = lines(readFileSync(referencePath, 'utf8')).map(
      (l) => JSON.parse(l) as Record<string, unknown>,
    );
    const input = references.map(({ rendered: _r, ...rest }) => JSON.stringify(rest)).join('\n') + '\n';
    const { code, stdout, stderr } = await flan(
      ['--chat-template', configPath, '--jsonl', '--tokenize'],
      input,
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = lines(stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out.map((o) => o.rendered)).toEqual(references.map((r) => r.rendered));
    expect(out[0]!.ids).toEqual([151644, 872, 198, 9707, 0, 151645, 198, 151644, 77091, 198]);
  });

  it('names the line of a message without role or content', async () => {
    const dir = configPath.replace(/\/tokenizer_config\.json$/, '');
    const input = '{"messages":[{"role":"user","content":"hi"}]}\n{"messages":[{"content":"x"}]}\n';
    const run = await flan(['--chat-template', dir, '--jsonl'], input);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toBe('flan: <stdin>:2: messages[0] has no string "role"\n');
  });
});
