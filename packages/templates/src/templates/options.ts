/**
 * Answer options rendered into the `{options_}` field the way FLAN does: the deterministic
 * `OPTIONS:\n- a\n- b` list, the lettered `(A) a` list, and the training-time random variant.
 */
import { TemplateError } from '../errors';
import type { Rng } from '../rng';

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** FLAN `format_options`: `"OPTIONS:\n- " + "\n- ".join(options)`. */
export function formatOptions(options: readonly string[]): string {
  return 'OPTIONS:\n- ' + options.join('\n- ');
}

/** FLAN `format_options(use_char_options_format=True)`: `"OPTIONS:" + "\n(A) a" + "\n(B) b" ...`. */
export function formatOptionsLettered(options: readonly string[]): string {
  if (options.length > LETTERS.length) {
    throw new TemplateError(`lettered options support at most 26 options, got ${options.length}`);
  }
  return 'OPTIONS:' + options.map((option, i) => `\n(${LETTERS[i]}) ${option}`).join('');
}

/** `(A)`, `(B)`, ...: the eval target of the i-th option in lettered prompts. */
export function optionLetter(index: number): string {
  const letter = LETTERS[index];
  if (letter === undefined) throw new TemplateError(`option index ${index} out of range (0..25)`);
  return `(${letter})`;
}

/** The candidates of the random options rendering (formatting.json → options.non_deterministic). */
export interface RandomOptionsStyle {
  startStrings: readonly string[];
  /** Lists of item names (26 each): the i-th option is introduced by `itemNames[k][i]`. */
  itemNames: ReadonlyArray<readonly string[]>;
  /** Lists of item end strings (26 each). */
  itemEnds: ReadonlyArray<readonly string[]>;
}

function stringList(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new TemplateError(`${where} must be a list of strings`);
  }
  return value;
}

/** Reads the random-options candidates from a parsed FLAN `formatting.json`. */
export function randomOptionsStyleFromFormatting(formatting: unknown): RandomOptionsStyle {
  const nd = (formatting as { options?: { non_deterministic?: Record<string, { value?: unknown }> } })
    ?.options?.non_deterministic;
  if (!nd) throw new TemplateError('formatting.json: missing options.non_deterministic');
  const lists = (key: string) => {
    const value = nd[key]?.value;
    if (!Array.isArray(value))
      throw new TemplateError(`formatting.json: options.non_deterministic.${key}.value missing`);
    return value.map((list, i) => stringList(list, `formatting.json: ${key}[${i}]`));
  };
  return {
    startStrings: stringList(
      nd['start_string_candidates']?.value,
      'formatting.json: start_string_candidates',
    ),
    itemNames: lists('item_name_candidates'),
    itemEnds: lists('item_end_string_candidates'),
  };
}

/** The result of the random options rendering: the options string and the (possibly rewritten) answer. */
export interface RandomOptions {
  options: string;
  answer: string;
}

/**
 * FLAN `format_options_non_deterministic`: draws a start string S, item names N and end strings E
 * uniformly, renders `S + join(N[i] + option_i + E[i])`, and rewrites the answer to `strip(N[i])`
 * when it equals option i (after stripping) and the stripped names are pairwise distinct.
 */
export function formatOptionsRandom(
  options: readonly string[],
  answer: string,
  rng: Rng,
  style: RandomOptionsStyle,
): RandomOptions {
  const start = rng.choice(style.startStrings);
  const names = rng.choice(style.itemNames);
  const ends = rng.choice(style.itemEnds);
  if (options.length > names.length || options.length > ends.length) {
    throw new TemplateError(`random options support at most ${Math.min(names.length, ends.length)} options`);
  }
  const rendered = start + options.map((option, i) => names[i]! + option + ends[i]!).join('');
  const stripped = names.slice(0, options.length).map((n) => n.trim());
  let rewritten = answer;
  if (new Set(stripped).size === stripped.length) {
    const at = options.findIndex((option) => option.trim() === answer.trim());
    if (at >= 0) rewritten = stripped[at]!;
  }
  return { options: rendered, answer: rewritten };
}
