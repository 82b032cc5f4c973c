/**
 * Template collections in the shape of FLAN's `templates.json`: named sources (`patterns`,
 * `fewshot_patterns`, ...), each mapping task names to a list of templates. Loaded from the shared
 * FLAN file or from any user JSON of the same shape.
 */
import { TemplateError } from '../errors';
import { pyFormat } from '../format/python-format';
import { combinedTemplate, type FewShotPattern } from './few-shot-pattern';
import { renderTemplate, type Fields, type Rendered, type Template } from './template';

/** Top-level keys of FLAN's templates.json that describe the file rather than hold templates. */
const METADATA_KEYS = new Set(['source', 'notes', 'aliases']);

type Entry = Template | FewShotPattern;

function isPatternRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function parseEntry(value: unknown, where: string, name: string): Entry {
  if (Array.isArray(value)) {
    if (value.length !== 2 || typeof value[0] !== 'string' || typeof value[1] !== 'string') {
      throw new TemplateError(`${where}: expected [input_template, target_template] strings`);
    }
    return { input: value[0], target: value[1], name };
  }
  if (isPatternRecord(value)) {
    const str = (key: string, fallback?: string): string => {
      const v = value[key];
      if (v === undefined && fallback !== undefined) return fallback;
      if (typeof v !== 'string') throw new TemplateError(`${where}: field "${key}" must be a string`);
      return v;
    };
    const mix = value['in_template_mix'];
    return {
      name,
      input: str('inputs'),
      target: str('targets'),
      inputsPrefix: str('inputs_prefix', ''),
      targetsPrefix: str('targets_prefix', ''),
      xYDelimiter: str('x_y_delimiter', '\n\n'),
      exampleSeparator: str('example_separator', '\n\n\n'),
      finalSuffix: str('final_suffix', ''),
      inputPattern: str('input_pattern', '{{inputs}}{final_suffix}'),
      inTemplateMix: typeof mix === 'boolean' ? mix : true,
    };
  }
  throw new TemplateError(`${where}: expected a [input, target] pair or a few-shot pattern object`);
}

/** Templates grouped by source and task, looked up as `source / task / index`. */
export class TemplateCollection {
  private readonly data = new Map<string, Map<string, Entry[]>>();

  /**
   * Reads a templates.json-shaped object: `{ <source>: { <task>: [[input, target], ...] | [pattern, ...] } }`.
   * `origin` names the file in errors.
   */
  static fromJSON(json: unknown, origin = '<templates>'): TemplateCollection {
    if (!isPatternRecord(json))
      throw new TemplateError(`${origin}: expected a JSON object of template sources`);
    const collection = new TemplateCollection();
    for (const [source, tasks] of Object.entries(json)) {
      if (METADATA_KEYS.has(source)) continue;
      if (!isPatternRecord(tasks))
        throw new TemplateError(`${origin}: "${source}" must map task names to templates`);
      for (const [task, list] of Object.entries(tasks)) {
        if (!Array.isArray(list))
          throw new TemplateError(`${origin}: ${source}.${task} must be a list of templates`);
        collection.add(
          source,
          task,
          list.map((entry, i) => parseEntry(entry, `${origin}: ${source}.${task}[${i}]`, `${source}[${i}]`)),
        );
      }
    }
    return collection;
  }

  /** Adds (or replaces) the templates of one task in one source: how users register their own. */
  add(source: string, task: string, templates: ReadonlyArray<Template | FewShotPattern>): this {
    let tasks = this.data.get(source);
    if (!tasks) this.data.set(source, (tasks = new Map()));
    tasks.set(
      task,
      templates.map((t, i) => ({ ...t, name: t.name ?? `${source}[${i}]` })),
    );
    return this;
  }

  sources(): string[] {
    return [...this.data.keys()];
  }

  tasks(source: string): string[] {
    return [...this.source(source).keys()];
  }

  private source(source: string): Map<string, Entry[]> {
    const tasks = this.data.get(source);
    if (!tasks) {
      throw new TemplateError(
        `unknown template source "${source}" (have: ${this.sources().join(', ') || 'none'})`,
      );
    }
    return tasks;
  }

  /** All templates of a task in a source. */
  templates(source: string, task: string): ReadonlyArray<Template | FewShotPattern> {
    const list = this.source(source).get(task);
    if (!list) throw new TemplateError(`unknown task in source "${source}"`, { task });
    return list;
  }

  /** One template by index. */
  template(source: string, task: string, index: number): Template | FewShotPattern {
    const list = this.templates(source, task);
    const entry = Number.isInteger(index) ? list[index] : undefined;
    if (!entry) {
      throw new TemplateError(`template index ${index} out of range (0..${list.length - 1})`, {
        task,
        template: `${source}[${index}]`,
      });
    }
    return entry;
  }

  /** The few-shot layout of a template, when its source holds FLAN few-shot patterns. */
  fewShotPattern(source: string, task: string, index: number): FewShotPattern | undefined {
    const entry = this.template(source, task, index);
    return 'xYDelimiter' in entry ? entry : undefined;
  }

  /** Renders `templates[source][task][index]` with an example's fields. */
  render(source: string, task: string, index: number, fields: Fields): Rendered {
    return renderTemplate(this.template(source, task, index), fields, {
      task,
      template: `${source}[${index}]`,
    });
  }

  /** Renders the combined strings of a few-shot pattern (see {@link combinedTemplate}). */
  renderCombined(source: string, task: string, index: number, fields: Fields): Rendered {
    const pattern = this.fewShotPattern(source, task, index);
    if (!pattern) {
      throw new TemplateError('not a few-shot pattern (no prefixes or separators)', {
        task,
        template: `${source}[${index}]`,
      });
    }
    const combined = combinedTemplate(pattern);
    const context = { task, template: `${source}[${index}]` };
    return {
      input: pyFormat(combined.input, fields, context),
      target: pyFormat(combined.target, fields, context),
    };
  }
}
