import { readFileSync } from 'node:fs';
import { sharedFiles } from '@flan-ts/test-support';
import { describe, expect, it } from 'vitest';
import { assembleFewShot, TemplateCollection, formatOptions, formatOptionsLettered } from '../src/index';

const paths = sharedFiles('data/flan/reference_renderings.jsonl', 'data/flan/templates.json');

interface Reference {
  id: string;
  source: string;
  task: string;
  template_index: number;
  input_template: string;
  target_template: string;
  example: Record<string, string>;
  input: string;
  target: string;
  options?: string[];
  combined_input?: string;
  combined_target?: string;
}

describe.skipIf(!paths)('FLAN reference renderings (shared/data/flan/reference_renderings.jsonl)', () => {
  const [renderingsPath, templatesPath] = paths ?? ['', ''];
  const references = paths
    ? readFileSync(renderingsPath, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Reference)
    : [];
  const collection = paths
    ? TemplateCollection.fromJSON(JSON.parse(readFileSync(templatesPath, 'utf8')), templatesPath)
    : undefined;

  it('covers every record', () => {
    expect(references).toHaveLength(134);
  });

  it.each(references.map((r) => [r.id, r] as const))('%s renders input and target exactly', (_id, ref) => {
    const template = collection!.template(ref.source, ref.task, ref.template_index);
    expect([template.input, template.target]).toEqual([ref.input_template, ref.target_template]);
    expect(collection!.render(ref.source, ref.task, ref.template_index, ref.example)).toEqual({
      input: ref.input,
      target: ref.target,
    });
    if (ref.combined_input !== undefined) {
      expect(collection!.renderCombined(ref.source, ref.task, ref.template_index, ref.example)).toEqual({
        input: ref.combined_input,
        target: ref.combined_target,
      });
    }
  });

  it('options_ / options_str of the references are the deterministic FLAN renderings of options', () => {
    let checked = 0;
    for (const ref of references) {
      if (!ref.options) continue;
      const rendered = ref.example['options_'] ?? ref.example['options_str'];
      expect([formatOptions(ref.options), formatOptionsLettered(ref.options)]).toContain(rendered);
      checked++;
    }
    expect(checked).toBe(46);
  });

  it('few-shot assembly with a pattern joins exemplars exactly as the reference combined strings', () => {
    let checked = 0;
    for (const ref of references) {
      if (ref.combined_input === undefined) continue;
      const pattern = collection!.fewShotPattern(ref.source, ref.task, ref.template_index)!;
      const rendered = { input: ref.input, target: ref.target };
      const prompt = assembleFewShot([rendered, rendered], rendered, { layout: pattern });
      const shot = ref.combined_input + ref.combined_target!;
      const final = (
        pattern.inputsPrefix +
        ref.input +
        pattern.xYDelimiter +
        pattern.targetsPrefix.trimEnd()
      ).replace(/ +$/, '');
      expect(prompt.input).toBe(shot + shot + final + pattern.finalSuffix);
      checked++;
    }
    expect(checked).toBe(26);
  });

  it('every source of templates.json loads with the expected sizes', () => {
    expect(collection!.sources()).toEqual([
      'patterns',
      'patterns_no_options',
      'fewshot_patterns',
      'fewshot_patterns_no_options',
      'inline_fewshot_patterns',
      'flan2021_patterns',
    ]);
    expect(collection!.tasks('patterns')).toHaveLength(120);
    const pairs = collection!
      .tasks('patterns')
      .reduce((n, t) => n + collection!.templates('patterns', t).length, 0);
    expect(pairs).toBe(1290);
    expect(collection!.fewShotPattern('fewshot_patterns', 'rte', 0)).toMatchObject({
      inputsPrefix: 'Problem: ',
      targetsPrefix: 'A: ',
      xYDelimiter: '\n',
      exampleSeparator: '\n\n',
    });
  });

  it('a missing field names task, template and field', () => {
    expect(() => collection!.render('patterns', 'rte', 0, {})).toThrow(
      /task "rte", template patterns\[0\]: missing field "\w+"/,
    );
  });
});
