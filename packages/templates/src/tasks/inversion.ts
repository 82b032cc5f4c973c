/**
 * Input inversion, the Flan Collection's augmentation: an example (x → y) becomes the inverted task
 * (y → x), e.g. "given this answer, write the question". The inverted prompt is a template over the
 * rendered example's `{inputs}` and `{targets}`.
 */
import { renderTemplate, type Template } from '../templates/template';
import type { MixedExample } from './render-example';

/** Per-task inversion settings. */
export interface InversionSettings {
  /** Share of the task's zero-shot examples that are inverted, in [0, 1]. */
  rate: number;
  /** The inverted prompt over `{inputs}` and `{targets}`; {@link DEFAULT_INVERSION_TEMPLATE} when omitted. */
  template?: Template;
}

export const DEFAULT_INVERSION_TEMPLATE: Readonly<Template> = Object.freeze({
  name: 'inverted',
  input: '{targets}\n\nWrite an instruction or question that this text answers.',
  target: '{inputs}',
});

/** The inverted example: rendered from the template with the original's inputs and targets swapped in. */
export function invertExample(
  example: MixedExample,
  template: Template = DEFAULT_INVERSION_TEMPLATE,
): MixedExample {
  const rendered = renderTemplate(
    template,
    { inputs: example.inputs, targets: example.targets },
    { task: example.task, template: template.name ?? 'inversion' },
  );
  return {
    ...example,
    inputs: rendered.input,
    targets: rendered.target,
    template: `${example.template}+${template.name ?? 'inverted'}`,
    inverted: true,
  };
}
