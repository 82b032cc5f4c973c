/**
 * A Task (seqio's word): a data source, preprocessors mapping records to template fields, and the
 * templates and formats its examples are rendered with. Tasks are plain data.
 */
import type { RecordSource } from '../data/source';
import type { FewShotLayout } from '../templates/few-shot-pattern';
import type { RandomOptionsStyle } from '../templates/options';
import type { Fields, Template } from '../templates/template';
import type { InversionSettings } from './inversion';

/**
 * Prompt formats of the paper's mixtures: zero-shot and few-shot with answer-only targets, and
 * chain-of-thought (zero-shot with the CoT trigger, or few-shot with rationale exemplars) whose
 * targets carry the rationale and the answer.
 */
export type FormatName = 'zero-shot' | 'few-shot' | 'cot' | 'few-shot-cot';

export const FORMAT_NAMES: readonly FormatName[] = ['zero-shot', 'few-shot', 'cot', 'few-shot-cot'];

/** A small pure function from one record's fields to new fields; `null` filters the record out. */
export type Preprocessor = (fields: Fields) => Fields | null;

export interface FewShotSettings {
  /** Exemplars per prompt. Default 3. */
  shots?: number;
  /** Size of the exemplar pool, the candidates each prompt's exemplars are drawn from. Default 64. */
  poolSize?: number;
  /**
   * How the pool is chosen: `'sample'` (default) draws `poolSize` records uniformly across the whole split,
   * seeded; `'first'` takes the first `poolSize` records (the earlier behaviour, cheaper on huge files).
   */
  pool?: 'sample' | 'first';
  /** Separators; FLAN's defaults when omitted. */
  layout?: Partial<FewShotLayout>;
  /** Token budget of the whole input; exemplars are dropped from the end to fit (needs a TokenCounter). */
  maxInputTokens?: number;
}

/** How a list of answer options becomes the `{options_}` field. */
export interface OptionsSettings {
  /** Field holding the options (a list of strings). */
  field: string;
  /** `plain`: "OPTIONS:\n- a"; `lettered`: "OPTIONS:\n(A) a"; or random FLAN candidates (training time). */
  style: 'plain' | 'lettered' | RandomOptionsStyle;
  /** Field holding the answer, rewritten by the random style. Default "answer". */
  answerField?: string;
}

export interface TaskDefinition {
  name: string;
  source: RecordSource;
  preprocessors?: readonly Preprocessor[];
  /** Templates with answer-only targets (zero-shot and few-shot formats). */
  templates: readonly Template[];
  /** Templates whose targets hold rationale + answer (cot and few-shot-cot formats). */
  cotTemplates?: readonly Template[];
  /** Relative weights of the formats this task is rendered in. Default `{ 'zero-shot': 1 }`. */
  formats?: Partial<Record<FormatName, number>>;
  fewShot?: FewShotSettings;
  options?: OptionsSettings;
  /** Appended to zero-shot CoT inputs (after a newline). Default "Let's think step by step."; "" for none. */
  cotTrigger?: string;
  /** Number of examples, for examples-proportional mixing; counted from the source when omitted. */
  numExamples?: number;
  /** Collection (sub-mixture) the task belongs to, for per-collection weights. */
  collection?: string;
  /** Input inversion: a share of the zero-shot examples is swapped into the inverted task (y → x). */
  inversion?: InversionSettings;
}

/** Runs a task's preprocessors over one record's fields. */
export function preprocess(task: TaskDefinition, fields: Fields): Fields | null {
  let current: Fields | null = fields;
  for (const step of task.preprocessors ?? []) {
    if (current === null) break;
    current = step(current);
  }
  return current;
}
