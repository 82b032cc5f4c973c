import { readFileSync } from 'node:fs';
import { sharedFile } from '@flan-ts/test-support';
import { describe, expect, it } from 'vitest';
import {
  createRng,
  formatOptions,
  formatOptionsLettered,
  formatOptionsRandom,
  optionLetter,
  randomOptionsStyleFromFormatting,
  TemplateError,
  type RandomOptionsStyle,
} from '../src/index';

const formattingPath = sharedFile('data/flan/formatting.json');

describe.skipIf(!formattingPath)('options rendering pinned to formatting.json', () => {
  const formatting = formattingPath ? JSON.parse(readFileSync(formattingPath, 'utf8')) : undefined;

  it('format_options example', () => {
    const { example, prefix, separator } = formatting.options.format_options;
    expect(formatOptions(example.options)).toBe(example.options_);
    expect(formatOptions(['x', 'y', 'z'])).toBe(prefix + ['x', 'y', 'z'].join(separator));
  });

  it('lettered example and item names', () => {
    const { example, prefix, item_names } = formatting.options.format_options_char;
    expect(formatOptionsLettered(example.options)).toBe(example.options_);
    const many = Array.from({ length: 26 }, (_, i) => `o${i}`);
    expect(formatOptionsLettered(many)).toBe(prefix + many.map((o, i) => item_names[i] + o).join(''));
    expect(formatting.options.char_options.value).toEqual(many.map((_, i) => optionLetter(i)));
    expect(() => formatOptionsLettered([...many, 'one too many'])).toThrow(TemplateError);
  });

  it('reads 16 start strings, 87 item-name lists and 3 end-string lists', () => {
    const style = randomOptionsStyleFromFormatting(formatting);
    expect(style.startStrings).toHaveLength(16);
    expect(style.itemNames).toHaveLength(87);
    expect(style.itemEnds).toHaveLength(3);
    expect(style.itemNames.every((l) => l.length === 26)).toBe(true);
  });

  it('random rendering is S + join(N[i] + option + E[i]) from the candidates, seeded', () => {
    const style = randomOptionsStyleFromFormatting(formatting);
    const options = ['yes', 'no', 'maybe'];
    const seen = new Set<string>();
    for (let seed = 0; seed < 200; seed++) {
      const a = formatOptionsRandom(options, 'no', createRng(seed), style);
      const b = formatOptionsRandom(options, 'no', createRng(seed), style);
      expect(b).toEqual(a);
      seen.add(a.options);
      const matched = style.startStrings.some((s) =>
        style.itemNames.some((n) =>
          style.itemEnds.some((e) => a.options === s + options.map((o, i) => n[i] + o + e[i]).join('')),
        ),
      );
      expect(matched).toBe(true);
    }
    expect(seen.size).toBeGreaterThan(150);
  });
});

describe('random options answer rewriting', () => {
  const style = (names: string[], start = 'Pick:', end = ''): RandomOptionsStyle => ({
    startStrings: [start],
    itemNames: [names],
    itemEnds: [names.map(() => end)],
  });

  it('rewrites a matching answer to the stripped item name', () => {
    const result = formatOptionsRandom(
      [' red', 'blue '],
      'blue',
      createRng(1),
      style(['\n(A) ', '\n(B) '], 'Pick:', ';'),
    );
    expect(result).toEqual({ options: 'Pick:\n(A)  red;\n(B) blue ;', answer: '(B)' });
  });

  it('keeps the answer when the stripped item names collide (bullets)', () => {
    const result = formatOptionsRandom(['red', 'blue'], 'blue', createRng(1), style(['\n- ', '\n- ']));
    expect(result.answer).toBe('blue');
  });

  it('keeps an answer that is not an option', () => {
    expect(formatOptionsRandom(['red'], 'green', createRng(1), style(['\nA. '])).answer).toBe('green');
  });

  it('uses the first matching option', () => {
    expect(formatOptionsRandom(['x', 'x'], 'x', createRng(1), style(['\nA. ', '\nB. '])).answer).toBe('A.');
  });
});
