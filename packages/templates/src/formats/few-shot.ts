/**
 * Few-shot prompts assembled as FLAN and seqio's `fewshot_preprocessor` do:
 *   shots  = join(inputs_prefix + x_i + x_y_delimiter + targets_prefix + y_i + example_separator)
 *   inputs = shots + inputs_prefix + x + x_y_delimiter + rstrip(targets_prefix), trailing spaces removed,
 *            then laid into input_pattern with final_suffix.
 * With a token budget, exemplars are dropped from the end until exemplars + final input fit
 * (FLAN's prune_exemplars with FEW_SHOT_MAX_LEN).
 */
import type { TemplateContext } from '../errors';
import { pyFormat } from '../format/python-format';
import { FLAN_FEW_SHOT_LAYOUT, type FewShotLayout } from '../templates/few-shot-pattern';
import type { Rendered } from '../templates/template';
import type { TokenCounter } from './token-counter';

/** FLAN's FEW_SHOT_MAX_LEN: the token budget of a few-shot prompt's input. */
export const FLAN_FEW_SHOT_MAX_LEN = 1920;

/** FLAN's `re.sub(" *$", "", inputs)`: trailing spaces only (newlines stay). A loop: the regex is slow on long prompts. */
function trimTrailingSpaces(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 32) end--;
  return end === text.length ? text : text.slice(0, end);
}

export interface FewShotOptions {
  /** Separators; FLAN's `FewShotPattern` defaults when omitted. */
  layout?: Partial<FewShotLayout>;
  /** With `maxInputTokens`: measures the prompt. */
  tokenCounter?: TokenCounter;
  /** Budget for the whole input (exemplars + final input). */
  maxInputTokens?: number;
  /** Names the task and template in errors. */
  context?: TemplateContext;
}

export interface FewShotPrompt extends Rendered {
  /** Exemplars kept (after budget pruning). */
  shots: number;
}

/**
 * Assembles a few-shot prompt from already rendered exemplars and the rendered final example.
 * Returns `shots: 0` when not even one exemplar fits the budget (FLAN drops such examples).
 */
export function assembleFewShot(
  exemplars: readonly Rendered[],
  final: Rendered,
  options: FewShotOptions = {},
) {
  const layout = { ...FLAN_FEW_SHOT_LAYOUT, ...options.layout };
  const shotTexts = exemplars.map(
    (e) =>
      layout.inputsPrefix +
      e.input +
      layout.xYDelimiter +
      layout.targetsPrefix +
      e.target +
      layout.exampleSeparator,
  );
  const finalText = layout.inputsPrefix + final.input + layout.xYDelimiter + layout.targetsPrefix.trimEnd();
  let kept = shotTexts.length;
  if (options.maxInputTokens !== undefined) {
    const counter = options.tokenCounter;
    if (!counter) throw new RangeError('assembleFewShot: maxInputTokens needs a tokenCounter');
    let budget = options.maxInputTokens - counter.countTokens(finalText);
    kept = 0;
    for (const text of shotTexts) {
      budget -= counter.countTokens(text);
      if (budget < 0) break;
      kept++;
    }
  }
  const pattern = pyFormat(layout.inputPattern, { final_suffix: layout.finalSuffix }, options.context);
  const build = (shots: number) =>
    pyFormat(
      pattern,
      { inputs: trimTrailingSpaces(shotTexts.slice(0, shots).join('') + finalText) },
      options.context,
    );
  let input = build(kept);
  if (options.maxInputTokens !== undefined && options.tokenCounter) {
    // Pieces are counted separately; a subword tokenizer can count the joined prompt differently at the
    // seams (and the final suffix adds tokens), so the whole input is checked too.
    while (kept > 0 && options.tokenCounter.countTokens(input) > options.maxInputTokens)
      input = build(--kept);
  }
  return { input, target: final.target, shots: kept } satisfies FewShotPrompt;
}
