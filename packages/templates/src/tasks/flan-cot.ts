/** Ready-made tasks for the Flan CoT training sets (`flan/cot/<name>.jsonl`). */
import { ConfigError } from '../errors';
import type { RecordSource } from '../data/source';
import type { Fields } from '../templates/template';
import { COT_DATA_ANSWER_TEMPLATES, COT_DATA_RATIONALE_TEMPLATES } from './cot-templates';
import type { FormatName, Preprocessor, TaskDefinition } from './task';

/** The CoT sets of Flan 2022 with their seqio task names and sizes (esnli and qed are not in the shared data). */
export const FLAN_COT_SETS = Object.freeze({
  gsm8k: { task: 'cot_gsm8k', records: 7473 },
  strategyqa: { task: 'cot_strategyqa', records: 2061 },
  creak: { task: 'cot_creak', records: 6915 },
  qasc: { task: 'cot_qasc', records: 1084 },
  ecqa: { task: 'cot_ecqa', records: 7112 },
  sensemaking: { task: 'cot_sensemaking', records: 6070 },
  aqua: { task: 'stream_aqua', records: 2728 },
} as const);

export type FlanCotSet = keyof typeof FLAN_COT_SETS;

/** Checks a CoT record's three string fields; a record missing one names the field. */
export const cotRecordFields: Preprocessor = (fields: Fields) => {
  for (const name of ['question', 'answer', 'chain_of_thought']) {
    if (typeof fields[name] !== 'string')
      throw new ConfigError(`CoT record: field "${name}" must be a string`);
  }
  return {
    question: fields['question'],
    answer: fields['answer'],
    chain_of_thought: fields['chain_of_thought'],
  };
};

/** Default format weights of the CoT tasks: the paper's zero-/few-shot × answer-only/CoT mix. */
export const DEFAULT_COT_FORMATS: Readonly<Partial<Record<FormatName, number>>> = Object.freeze({
  'zero-shot': 1,
  'few-shot': 1,
  cot: 1,
  'few-shot-cot': 1,
});

/** A task over one Flan CoT set, with this project's CoT templates. */
export function flanCotTask(
  set: FlanCotSet,
  source: RecordSource,
  overrides: Partial<TaskDefinition> = {},
): TaskDefinition {
  const info = FLAN_COT_SETS[set];
  if (!info)
    throw new ConfigError(`unknown Flan CoT set "${set}" (known: ${Object.keys(FLAN_COT_SETS).join(', ')})`);
  return {
    name: info.task,
    source,
    preprocessors: [cotRecordFields],
    templates: COT_DATA_ANSWER_TEMPLATES,
    cotTemplates: COT_DATA_RATIONALE_TEMPLATES,
    formats: DEFAULT_COT_FORMATS,
    fewShot: { shots: 3, layout: { xYDelimiter: '\n', exampleSeparator: '\n\n' } },
    numExamples: info.records,
    collection: 'cot',
    ...overrides,
  };
}
