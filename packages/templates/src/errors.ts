/**
 * Typed errors of the templates package. Every error names what the user has to fix: the task and
 * template for rendering problems, the source and line for data problems.
 */

/** Where a template came from, used to name it in errors. */
export interface TemplateContext {
  /** Task name (for FLAN collections: the key in `templates.json`). */
  task?: string;
  /** Template name or `<collection>[<index>]`. */
  template?: string;
}

function describe(context: TemplateContext): string {
  const parts: string[] = [];
  if (context.task !== undefined) parts.push(`task "${context.task}"`);
  if (context.template !== undefined) parts.push(`template ${context.template}`);
  return parts.length > 0 ? `${parts.join(', ')}: ` : '';
}

/** Base class of every template error. */
export class TemplateError extends Error {
  override name = 'TemplateError';
  readonly task: string | undefined;
  readonly template: string | undefined;
  constructor(message: string, context: TemplateContext = {}) {
    super(describe(context) + message);
    this.task = context.task;
    this.template = context.template;
  }
}

/** The template text itself is malformed (Python raises `ValueError` for these). */
export class TemplateSyntaxError extends TemplateError {
  override name = 'TemplateSyntaxError';
}

/** A placeholder names a field that the example does not have (Python's `KeyError`/`IndexError`). */
export class MissingFieldError extends TemplateError {
  override name = 'MissingFieldError';
  constructor(
    readonly field: string,
    context: TemplateContext = {},
    detail = `missing field "${field}"`,
  ) {
    super(detail, context);
  }
}

/** A value cannot be formatted with the requested format spec or conversion (Python's `ValueError`/`TypeError`). */
export class FieldFormatError extends TemplateError {
  override name = 'FieldFormatError';
  constructor(
    readonly field: string,
    message: string,
    context: TemplateContext = {},
  ) {
    super(`field "${field}": ${message}`, context);
  }
}

/** A malformed record in a data source: names the source and the 1-based line. */
export class DataLineError extends Error {
  override name = 'DataLineError';
  constructor(
    readonly source: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${source}:${line}: ${reason}`);
  }
}

/** A mixture, task or registry is configured wrongly (unknown task, negative rate, bad config file). */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
