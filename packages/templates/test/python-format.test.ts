import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  checkTemplate,
  templateFields,
  FieldFormatError,
  MissingFieldError,
  TemplateError,
  TemplateSyntaxError,
  pyFormat,
} from '../src/index';

interface Case {
  template: string;
  fields: Record<string, unknown>;
  positional: unknown[];
  expected?: string;
  error?: string;
  message?: string;
  integral_float?: boolean;
}

// Expected values computed by CPython (see fixtures/gen-python-format-cases.py).
const { cases } = JSON.parse(
  readFileSync(new URL('./fixtures/python-format-cases.json', import.meta.url), 'utf8'),
) as { cases: Case[] };

describe('pyFormat matches CPython str.format', () => {
  // A JSON number without fraction is an int in JS; Python floats like 1e16 cannot round-trip as floats.
  const rendered = cases.filter((c) => c.expected !== undefined && !c.integral_float);
  const failing = cases.filter((c) => c.error !== undefined && !c.integral_float);

  it.each(rendered.map((c) => [c.template, c] as const))('%j renders like Python', (_t, c) => {
    expect(pyFormat(c.template, c.fields, {}, c.positional)).toBe(c.expected);
  });

  it.each(failing.map((c) => [c.template, c] as const))('%j fails like Python', (_t, c) => {
    let thrown: unknown;
    try {
      pyFormat(c.template, c.fields, {}, c.positional);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TemplateError);
    if (c.error === 'KeyError' || c.error === 'IndexError') {
      expect(thrown).toBeInstanceOf(MissingFieldError);
    } else if (c.error === 'ValueError') {
      expect(thrown instanceof TemplateSyntaxError || thrown instanceof FieldFormatError).toBe(true);
      // Same message as CPython, after the field name this package puts in front.
      expect((thrown as Error).message.replace(/^field "[^"]*": /, '')).toBe(c.message);
    }
  });

  it('has a meaningful number of cases on both sides', () => {
    expect(rendered.length).toBeGreaterThan(200);
    expect(failing.length).toBeGreaterThan(100);
    expect(cases.filter((c) => c.integral_float).length).toBeLessThan(150);
  });
});

describe('pyFormat errors name task, template and field', () => {
  it('missing field', () => {
    expect(() =>
      pyFormat('{premise} {hypothesis}', { premise: 'p' }, { task: 'rte', template: 'patterns[3]' }),
    ).toThrow('task "rte", template patterns[3]: missing field "hypothesis"');
    try {
      pyFormat('{x}', {});
    } catch (error) {
      expect((error as MissingFieldError).field).toBe('x');
    }
  });

  it('bad spec names the field', () => {
    expect(() => pyFormat('{n:d}', { n: 'text' }, { task: 't' })).toThrow(
      `task "t": field "n": Unknown format code 'd' for object of type 'str'`,
    );
  });

  it('NaN is bad input, not "nan"', () => {
    expect(() => pyFormat('{n}', { n: Number.NaN })).toThrow(FieldFormatError);
  });

  it('values are never reinterpreted', () => {
    expect(pyFormat('{a} {b}', { a: '{b}', b: '{{x}}' })).toBe('{b} {{x}}');
  });
});

describe('errors come in CPython order (formatting is lazy)', () => {
  it('a missing field before a syntax error is reported as the missing field', () => {
    expect(() => pyFormat('{a} }', {})).toThrow(MissingFieldError);
    expect(() => pyFormat('{a} }', { a: 1 })).toThrow(TemplateSyntaxError);
  });

  it('checkTemplate finds syntax errors without rendering', () => {
    expect(() => checkTemplate('{premise} {', { task: 't' })).toThrow(
      `task "t": Single '{' encountered in format string`,
    );
    expect(() => checkTemplate('{a[0]x}')).toThrow("Only '.' or '[' may follow ']'");
    expect(() => checkTemplate('{a!q}')).toThrow('Unknown conversion specifier q');
    expect(() => checkTemplate('{a:{b:{c}}}')).toThrow('Max string recursion exceeded');
    expect(() => checkTemplate('{premise}\n\n{options_} {{literal}}')).not.toThrow();
  });

  it('templateFields lists the keyword fields, nested specs included', () => {
    expect(templateFields('{q} {a[0]:>{width}} {q!r} {{x}} {0}')).toEqual(['q', 'a', 'width']);
  });
});
