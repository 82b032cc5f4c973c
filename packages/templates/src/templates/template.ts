/**
 * A template is an (input, target) pair of Python format strings. Rendering substitutes an example's
 * fields with `str.format` semantics; a missing field names the task, template and field.
 */
import type { TemplateContext } from '../errors';
import { pyFormat } from '../format/python-format';

/** Field values of one example, as the preprocessor produced them. */
export type Fields = Readonly<Record<string, unknown>>;

/** An instruction template: input and target with `{field}` placeholders. */
export interface Template {
  input: string;
  target: string;
  /** Shown in rendered examples and errors; defaults to the template's index. */
  name?: string;
}

/** The two rendered strings of an example. */
export interface Rendered {
  input: string;
  target: string;
}

/** Renders both sides of a template. */
export function renderTemplate(template: Template, fields: Fields, context: TemplateContext = {}): Rendered {
  const ctx = { ...context, template: context.template ?? template.name };
  return { input: pyFormat(template.input, fields, ctx), target: pyFormat(template.target, fields, ctx) };
}
