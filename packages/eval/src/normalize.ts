/**
 * The paper's summary numbers (§2.3, Table 5): scores normalised against chance,
 * `100·(x − chance)/(100 − chance)`, and their unweighted mean over the six Table 5 columns; within
 * a benchmark, the unweighted (macro) mean over tasks.
 */
import { EvalError } from './errors';

/** The six columns of Table 5, in order. */
export const TABLE5_COLUMNS = ['mmlu_direct', 'mmlu_cot', 'bbh_direct', 'bbh_cot', 'tydiqa', 'mgsm'] as const;
export type Table5Column = (typeof TABLE5_COLUMNS)[number];
export type Table5Scores = Partial<Record<Table5Column, number>>;

/** BBH chance (%): the macro mean over the 27 subtasks of the shared data (`bbhChanceLevels`). */
export const BBH_CHANCE = 26.633253759402383;

/** The chance level (%) of each column; BBH from the data (see {@link bbhChanceLevels}). */
export function table5Chance(bbhChance = BBH_CHANCE): Record<Table5Column, number> {
  return { mmlu_direct: 25, mmlu_cot: 25, bbh_direct: bbhChance, bbh_cot: bbhChance, tydiqa: 0, mgsm: 0 };
}

/** `100·(score − chance)/(100 − chance)`: 0 at chance, 100 at perfect. */
export function normalizeScore(score: number, chance: number): number {
  if (chance >= 100) throw new EvalError(`chance must be below 100, got ${chance}`);
  return (100 * (score - chance)) / (100 - chance);
}

/** The unweighted mean (the paper's aggregation within a benchmark); NaN for no values. */
export function macroMean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** The example-weighted mean (what lm-evaluation-harness groups and the MMLU script print). */
export function microMean(scores: readonly number[], counts: readonly number[]): number {
  let sum = 0;
  let total = 0;
  scores.forEach((s, i) => {
    sum += s * counts[i]!;
    total += counts[i]!;
  });
  return sum / total;
}

export interface NormalizedAverage {
  chance: Table5Scores;
  normalized: Table5Scores;
  /** The mean of the normalised scores present (NaN when none is). */
  normalized_average: number;
}

/** Normalises the columns present and averages them (the paper's "normalized average"). */
export function normalizedAverage(scores: Table5Scores, bbhChance = BBH_CHANCE): NormalizedAverage {
  const all = table5Chance(bbhChance);
  const chance: Table5Scores = {};
  const normalized: Table5Scores = {};
  for (const column of TABLE5_COLUMNS) {
    const score = scores[column];
    if (score === undefined) continue;
    chance[column] = all[column];
    normalized[column] = normalizeScore(score, all[column]);
  }
  return { chance, normalized, normalized_average: macroMean(Object.values(normalized)) };
}

/** Per-task BBH chance levels and their macro means over the 27 subtasks and the 23 tasks. */
export interface BbhChanceLevels {
  per_task: Record<string, number>;
  macro_27_subtasks: number;
  macro_23_tasks: number;
}

/** Macro means of per-file BBH chances; the 3/5/7-object variants count once each for the 23 tasks. */
export function bbhChanceLevels(perTask: Record<string, number>): BbhChanceLevels {
  const groups = new Map<string, number[]>();
  for (const [task, chance] of Object.entries(perTask)) {
    const base = task.replace(/_(three|five|seven)_objects$/, '');
    groups.set(base, [...(groups.get(base) ?? []), chance]);
  }
  return {
    per_task: perTask,
    macro_27_subtasks: macroMean(Object.values(perTask)),
    macro_23_tasks: macroMean([...groups.values()].map(macroMean)),
  };
}

/** The Flan-T5 rows of Table 5 (Chung et al. 2022): raw scores and the paper's normalized average. */
export const PAPER_FLAN_T5: readonly {
  model: string;
  scores: Record<Table5Column, number>;
  paper: number;
}[] = [
  {
    model: 'Flan-T5-Small',
    scores: { mmlu_direct: 28.7, mmlu_cot: 12.1, bbh_direct: 29.1, bbh_cot: 19.2, tydiqa: 1.1, mgsm: 0.2 },
    paper: -3.1,
  },
  {
    model: 'Flan-T5-Base',
    scores: { mmlu_direct: 35.9, mmlu_cot: 33.7, bbh_direct: 31.3, bbh_cot: 27.9, tydiqa: 4.1, mgsm: 0.4 },
    paper: 6.5,
  },
  {
    model: 'Flan-T5-Large',
    scores: { mmlu_direct: 45.1, mmlu_cot: 40.5, bbh_direct: 37.5, bbh_cot: 31.5, tydiqa: 12.3, mgsm: 0.7 },
    paper: 13.8,
  },
  {
    model: 'Flan-T5-XL',
    scores: { mmlu_direct: 52.4, mmlu_cot: 45.5, bbh_direct: 41.0, bbh_cot: 35.2, tydiqa: 16.6, mgsm: 1.9 },
    paper: 19.1,
  },
  {
    model: 'Flan-T5-XXL',
    scores: { mmlu_direct: 55.1, mmlu_cot: 48.6, bbh_direct: 45.3, bbh_cot: 41.4, tydiqa: 19.0, mgsm: 4.9 },
    paper: 23.7,
  },
];
