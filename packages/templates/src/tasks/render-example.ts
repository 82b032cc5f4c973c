/** Renders one example of a task in one format: the step between sampling and the model. */
import { TemplateError } from '../errors';
import { assembleFewShot } from '../formats/few-shot';
import { COT_TRIGGER, withCotTrigger } from '../formats/chain-of-thought';
import type { TokenCounter } from '../formats/token-counter';
import type { Rng } from '../rng';
import { formatOptions, formatOptionsLettered, formatOptionsRandom } from '../templates/options';
import type { FewShotLayout, FewShotPattern } from '../templates/few-shot-pattern';
import { renderTemplate, type Fields, type Rendered, type Template } from '../templates/template';
import type { FormatName, TaskDefinition } from './task';

/** A pool entry: preprocessed fields and a key naming the record (e.g. "file:line"). */
export interface Exemplar {
  key: string;
  fields: Fields;
}

/** A rendered training example, the line format of `flan mix`. */
export interface MixedExample {
  inputs: string;
  targets: string;
  task: string;
  template: string;
  format: FormatName;
  /** Set on input-inverted examples (inputs and targets swapped into the inverted task). */
  inverted?: true;
  /** A few-shot example's parts, each rendered alone (only with `keepFewShotParts`; for chat turns). */
  fewShot?: FewShotParts;
}

/** The kept exemplars and the final input of a few-shot example, before the few-shot layout joins them. */
export interface FewShotParts {
  exemplars: { inputs: string; targets: string }[];
  /** The final example's input as the template renders it (no few-shot prefixes or separators). */
  inputs: string;
}

export interface RenderExampleOptions {
  /** Candidate exemplars (already preprocessed) for few-shot formats, keyed by record identity. */
  exemplarPool?: readonly Exemplar[];
  /** Identity of the example being rendered, so it is never its own exemplar. */
  exampleKey?: string;
  tokenCounter?: TokenCounter;
  /** Also return a few-shot example's exemplars and final input separately (`MixedExample.fewShot`). */
  keepFewShotParts?: boolean;
}

function withOptions(task: TaskDefinition, fields: Fields, rng: Rng): Fields {
  const settings = task.options;
  if (!settings) return fields;
  const options = fields[settings.field];
  if (!Array.isArray(options) || !options.every((o) => typeof o === 'string')) {
    throw new TemplateError(`field "${settings.field}" must be a list of strings`, { task: task.name });
  }
  if (settings.style === 'plain') return { ...fields, options_: formatOptions(options) };
  if (settings.style === 'lettered') return { ...fields, options_: formatOptionsLettered(options) };
  const answerField = settings.answerField ?? 'answer';
  const answer = fields[answerField];
  if (typeof answer !== 'string')
    throw new TemplateError(`field "${answerField}" must be a string`, { task: task.name });
  const random = formatOptionsRandom(options, answer, rng, settings.style);
  return { ...fields, options_: random.options, [answerField]: random.answer };
}

function pickTemplate(task: TaskDefinition, cot: boolean, rng: Rng): { template: Template; name: string } {
  const list = cot ? task.cotTemplates : task.templates;
  if (!list || list.length === 0) {
    throw new TemplateError(
      `no ${cot ? 'cotTemplates' : 'templates'} for a ${cot ? 'chain-of-thought' : 'answer-only'} format`,
      {
        task: task.name,
      },
    );
  }
  const index = rng.int(list.length);
  const template = list[index]!;
  return { template, name: template.name ?? `${cot ? 'cot' : 'template'}[${index}]` };
}

function patternLayout(template: Template): Partial<FewShotLayout> {
  if (!('xYDelimiter' in template)) return {};
  const p = template as FewShotPattern;
  return {
    inputsPrefix: p.inputsPrefix,
    targetsPrefix: p.targetsPrefix,
    xYDelimiter: p.xYDelimiter,
    exampleSeparator: p.exampleSeparator,
    finalSuffix: p.finalSuffix,
    inputPattern: p.inputPattern,
  };
}

/** k distinct indices of [0, n), in draw order (partial Fisher-Yates over a sparse swap map). */
function sampleIndices(n: number, k: number, rng: Rng): number[] {
  const m = Math.min(k, n);
  const swapped = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(n - i);
    out.push(swapped.get(j) ?? j);
    swapped.set(j, swapped.get(i) ?? i);
  }
  return out;
}

/**
 * Renders `fields` in `format`. Returns `undefined` for a few-shot example when not one exemplar fits
 * the token budget (FLAN filters such examples out; the sampler counts them).
 */
export function renderExample(
  task: TaskDefinition,
  fields: Fields,
  format: FormatName,
  rng: Rng,
  options: RenderExampleOptions = {},
): MixedExample | undefined {
  const cot = format === 'cot' || format === 'few-shot-cot';
  const { template, name } = pickTemplate(task, cot, rng);
  const context = { task: task.name, template: name };
  const example = renderTemplate(template, withOptions(task, fields, rng), context);
  if (format === 'zero-shot' || format === 'cot') {
    const inputs =
      format === 'cot' ? withCotTrigger(example.input, task.cotTrigger ?? COT_TRIGGER) : example.input;
    return { inputs, targets: example.target, task: task.name, template: name, format };
  }
  const settings = task.fewShot ?? {};
  const pool = (options.exemplarPool ?? []).filter((candidate) => candidate.key !== options.exampleKey);
  const chosen = sampleIndices(pool.length, settings.shots ?? 3, rng);
  const exemplars: Rendered[] = chosen.map((i) =>
    renderTemplate(template, withOptions(task, pool[i]!.fields, rng), context),
  );
  // A FLAN few-shot pattern brings its own separators; they win over the task's defaults.
  const layout = { ...settings.layout, ...patternLayout(template) };
  const prompt = assembleFewShot(exemplars, example, {
    layout,
    ...(settings.maxInputTokens !== undefined ? { maxInputTokens: settings.maxInputTokens } : {}),
    ...(options.tokenCounter ? { tokenCounter: options.tokenCounter } : {}),
    context,
  });
  if (prompt.shots === 0 && exemplars.length > 0) return undefined;
  const mixed: MixedExample = {
    inputs: prompt.input,
    targets: prompt.target,
    task: task.name,
    template: name,
    format,
  };
  if (options.keepFewShotParts) {
    const kept = exemplars.slice(0, prompt.shots);
    mixed.fewShot = {
      exemplars: kept.map((e) => ({ inputs: e.input, targets: e.target })),
      inputs: example.input,
    };
  }
  return mixed;
}
