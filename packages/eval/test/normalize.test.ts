/** `data/eval/normalized_average.jsonl`: BBH chance from the data, normalisation, the paper's rows. */
import { describe, expect, it } from 'vitest';
import {
  bbhChanceLevels,
  macroMean,
  microMean,
  normalizedAverage,
  normalizeScore,
  PAPER_FLAN_T5,
  type Table5Scores,
} from '../src/index';
import { loadBbhChance } from '../src/node';
import { dataDir, referenceRecords } from './fixtures';

const records = referenceRecords('normalized_average.jsonl');
const ofKind = (kind: string) => (records ?? []).filter((r) => r.kind === kind);

function expectClose(got: Record<string, number>, want: Record<string, number>): void {
  expect(Object.keys(got)).toEqual(Object.keys(want));
  for (const [k, v] of Object.entries(want)) expect(Math.abs(got[k]! - v), k).toBeLessThan(1e-9);
}

describe.skipIf(!records || !dataDir)('normalized_average.jsonl', () => {
  it('bbh_chance: every per-task chance and both macro means, from the data', async () => {
    const [ref] = ofKind('bbh_chance');
    const levels = bbhChanceLevels(await loadBbhChance(dataDir!));
    expectClose(levels.per_task, ref!.per_task as Record<string, number>);
    expect(Math.abs(levels.macro_27_subtasks - (ref!.macro_27_subtasks as number))).toBeLessThan(1e-9);
    expect(Math.abs(levels.macro_23_tasks - (ref!.macro_23_tasks as number))).toBeLessThan(1e-9);
  });

  it('normalized_average: chance, normalized and the average of every row', async () => {
    const chance = bbhChanceLevels(await loadBbhChance(dataDir!)).macro_27_subtasks;
    const rows = ofKind('normalized_average');
    expect(rows.length).toBe(7);
    for (const ref of rows) {
      const got = normalizedAverage(ref.scores as Table5Scores, chance);
      expectClose(got.chance as Record<string, number>, ref.chance as Record<string, number>);
      expectClose(got.normalized as Record<string, number>, ref.normalized as Record<string, number>);
      expect(Math.abs(got.normalized_average - (ref.normalized_average as number))).toBeLessThan(1e-9);
      expect(Math.round(got.normalized_average * 10) / 10).toBe(ref.normalized_average_rounded);
    }
  });

  it("the paper's Flan-T5 rows: within 0.19 of Table 5", () => {
    const computed = PAPER_FLAN_T5.map((r) => normalizedAverage(r.scores).normalized_average);
    expect(computed.map((v) => Number(v.toFixed(3)))).toEqual([-2.956, 6.453, 13.652, 18.938, 23.512]);
    PAPER_FLAN_T5.forEach((r, i) => expect(Math.abs(computed[i]! - r.paper)).toBeLessThan(0.19));
    for (const ref of ofKind('normalized_average')) {
      const row = PAPER_FLAN_T5.find((r) => r.model === ref.model);
      if (row) expect(row.scores).toEqual(ref.scores);
    }
  });

  it('normalize and aggregate records', () => {
    for (const ref of ofKind('normalize'))
      expect(
        Math.abs(normalizeScore(ref.score as number, ref.chance as number) - (ref.normalized as number)),
      ).toBeLessThan(1e-9);
    for (const ref of ofKind('aggregate')) {
      expect(macroMean(ref.per_task_scores as number[])).toBeCloseTo(ref.macro as number, 9);
      expect(microMean(ref.per_task_scores as number[], ref.per_task_counts as number[])).toBeCloseTo(
        ref.micro as number,
        9,
      );
    }
  });
});
