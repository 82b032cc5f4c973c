/**
 * A Flan template family (one task of FLAN's `templates.json`, or of a file of its shape) as a
 * templates-package task over the user's records: zero-shot from `patterns`, few-shot from
 * `fewshot_patterns` (their prefixes and separators), each `_no_options` unless the records name
 * their answer options.
 */
import { templateFields, type RecordSource, type TaskDefinition, type Template } from '@flan-ts/templates';
import type { FlanFamilySpec } from '../protocol';
import { parseTemplatesFile } from '../templates-file';

export interface FlanFamily {
  templates: readonly Template[];
  /** Record fields every template reads (`options_` comes from the options field). */
  fields: string[];
  optionsField: string | undefined;
}

function sourceName(format: string, withOptions: boolean): string {
  const base = format === 'few-shot' ? 'fewshot_patterns' : 'patterns';
  return withOptions ? base : `${base}_no_options`;
}

/** The family's templates for `format` (`zero-shot` or `few-shot`); errors name the file and family. */
export function flanFamily(spec: FlanFamilySpec, format: string): FlanFamily {
  const file = spec.templates.name;
  if (format !== 'zero-shot' && format !== 'few-shot')
    throw new Error(
      `Flan template families come in the zero-shot and few-shot formats (chain of thought needs the ` +
        `{question, answer, chain_of_thought} records)`,
    );
  const collection = parseTemplatesFile(spec.templates);
  const optionsField = spec.optionsField?.trim() || undefined;
  const source = sourceName(format, optionsField !== undefined);
  if (!collection.sources().includes(source))
    throw new Error(`${file}: no "${source}" templates (have: ${collection.sources().join(', ')})`);
  if (!collection.tasks(source).includes(spec.family))
    throw new Error(`${file}: no template family "${spec.family}" in "${source}"`);
  const templates = collection.templates(source, spec.family);
  const fields = new Set<string>();
  for (const t of templates)
    for (const f of [...templateFields(t.input), ...templateFields(t.target)])
      if (f !== 'options_') fields.add(f);
  return { templates, fields: [...fields], optionsField };
}

/** The task rendering `records` with the family in `format` (options listed plainly, as FLAN's eval). */
export function flanFamilyTask(
  family: FlanFamily,
  name: string,
  source: RecordSource,
  format: 'zero-shot' | 'few-shot',
  numExamples: number,
): TaskDefinition {
  return {
    name,
    source,
    templates: family.templates,
    formats: { [format]: 1 },
    numExamples,
    ...(family.optionsField ? { options: { field: family.optionsField, style: 'plain' as const } } : {}),
  };
}
