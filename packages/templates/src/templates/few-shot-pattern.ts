/** FLAN's `FewShotPattern`: a template plus the separators that lay out exemplars. */
import type { Template } from './template';

/** Separators of a few-shot prompt, with FLAN's names (camel-cased). */
export interface FewShotLayout {
  /** Before every input (exemplars and the final one). FLAN default "". */
  inputsPrefix: string;
  /** Before every target; right-stripped after the final input. FLAN default "". */
  targetsPrefix: string;
  /** Between an input and its target. FLAN default "\n\n". */
  xYDelimiter: string;
  /** After every exemplar's target. FLAN default "\n\n\n". */
  exampleSeparator: string;
  /** Appended after the final input, through {@link inputPattern}. FLAN default "". */
  finalSuffix: string;
  /** `{{inputs}}{final_suffix}` in FLAN: formatted with `final_suffix`, then with `inputs`. */
  inputPattern: string;
}

/** A FLAN few-shot pattern: a template and its layout. */
export interface FewShotPattern extends Template, FewShotLayout {
  /** Whether FLAN's template_mix few-shot variant may use this pattern. */
  inTemplateMix: boolean;
}

/** `FewShotPattern` defaults of the FLAN repository (formatting.json → few_shot.fewshot_pattern_defaults). */
export const FLAN_FEW_SHOT_LAYOUT: Readonly<FewShotLayout> = Object.freeze({
  inputsPrefix: '',
  targetsPrefix: '',
  xYDelimiter: '\n\n',
  exampleSeparator: '\n\n\n',
  finalSuffix: '',
  inputPattern: '{{inputs}}{final_suffix}',
});

/**
 * The one-template strings FLAN's template_mix / x_shot variants use:
 * input = inputs_prefix + inputs + x_y_delimiter + targets_prefix, target = targets + example_separator.
 */
export function combinedTemplate(pattern: FewShotPattern): Template {
  return {
    input: pattern.inputsPrefix + pattern.input + pattern.xYDelimiter + pattern.targetsPrefix,
    target: pattern.target + pattern.exampleSeparator,
    ...(pattern.name !== undefined ? { name: `${pattern.name}+combined` } : {}),
  };
}
