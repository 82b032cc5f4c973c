/**
 * Aggregation as the paper: accuracy per task, the unweighted mean over tasks within a benchmark
 * (TyDiQA and MGSM without English), the six Table 5 columns and their normalized average, and the
 * Markdown report in Table 5's layout with per-task tables.
 */
import {
  macroMean,
  normalizedAverage,
  TABLE5_COLUMNS,
  type Table5Column,
  type Table5Scores,
} from '../normalize';
import type { ExampleResult } from './evaluate';

/** Tasks the paper leaves out of a benchmark's average (it reports English separately or not at all). */
export function inPaperAverage(benchmark: string, task: string): boolean {
  return !((benchmark === 'tydiqa' || benchmark === 'mgsm') && task === 'en');
}

export interface TaskScore {
  accuracy: number;
  n: number;
  /** Prompts cut from the left to fit. */
  truncated: number;
  /** Prompts that fit only after dropping exemplars (MMLU direct). */
  shots_dropped: number;
}

export interface BenchmarkScore {
  benchmark: string;
  format: string;
  mode: 'generate' | 'rank';
  /** Macro mean (%) over the tasks in the paper's average. */
  macro: number;
  /** Example-weighted mean (%), for comparison with tools that report it. */
  micro: number;
  n: number;
  truncated: number;
  shots_dropped: number;
  tasks: Record<string, TaskScore>;
}

/** The Table 5 column a benchmark/format/mode fills (rank classification is reported beside it). */
export function table5Column(benchmark: string, format: string, mode: string): Table5Column | undefined {
  if (mode !== 'generate') return undefined;
  const column = `${benchmark}_${format}`;
  if (column === 'mmlu_direct' || column === 'mmlu_cot' || column === 'bbh_direct' || column === 'bbh_cot')
    return column;
  if (benchmark === 'tydiqa') return 'tydiqa';
  if (benchmark === 'mgsm') return 'mgsm';
  return undefined;
}

/** Per-task and per-benchmark scores of a set of example results. */
export function aggregate(results: readonly ExampleResult[]): BenchmarkScore[] {
  const groups = new Map<string, ExampleResult[]>();
  for (const r of results) {
    const key = `${r.benchmark}\t${r.format}\t${r.mode}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups].map(([key, rs]) => {
    const [benchmark, format, mode] = key.split('\t') as [string, string, 'generate' | 'rank'];
    const tasks: Record<string, TaskScore> = {};
    const byTask = new Map<string, ExampleResult[]>();
    for (const r of rs) byTask.set(r.task, [...(byTask.get(r.task) ?? []), r]);
    for (const [task, trs] of [...byTask].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      tasks[task] = {
        accuracy: (100 * trs.filter((r) => r.correct).length) / trs.length,
        n: trs.length,
        truncated: trs.filter((r) => r.truncated).length,
        shots_dropped: trs.filter((r) => (r.shots_dropped ?? 0) > 0).length,
      };
    const averaged = Object.entries(tasks).filter(([t]) => inPaperAverage(benchmark, t));
    const counted = averaged.length > 0 ? averaged : Object.entries(tasks);
    const n = counted.reduce((s, [, t]) => s + t.n, 0);
    return {
      benchmark,
      format,
      mode,
      macro: macroMean(counted.map(([, t]) => t.accuracy)),
      micro: counted.reduce((s, [, t]) => s + t.accuracy * t.n, 0) / n,
      n: rs.length,
      truncated: rs.filter((r) => r.truncated).length,
      shots_dropped: rs.filter((r) => (r.shots_dropped ?? 0) > 0).length,
      tasks,
    };
  });
}

/** The Table 5 scores present in a run, and their normalized average. */
export function table5(scores: readonly BenchmarkScore[], bbhChance?: number) {
  const columns: Table5Scores = {};
  // In Table 5's column order, whatever order the benchmarks ran in.
  for (const column of TABLE5_COLUMNS) {
    const s = scores.find((x) => table5Column(x.benchmark, x.format, x.mode) === column);
    if (s !== undefined) columns[column] = s.macro;
  }
  return { scores: columns, ...normalizedAverage(columns, bbhChance) };
}

const HEADERS: Record<Table5Column, string> = {
  mmlu_direct: 'MMLU Direct',
  mmlu_cot: 'MMLU CoT',
  bbh_direct: 'BBH Direct',
  bbh_cot: 'BBH CoT',
  tydiqa: 'TyDiQA Direct',
  mgsm: 'MGSM CoT',
};

const fmt = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(1));

/** `results.md`: Table 5's layout for this model, rank-classification rows, then a table per benchmark. */
export function resultsMarkdown(options: {
  model: string;
  scores: readonly BenchmarkScore[];
  mmluSplit: string;
  bbhChance?: number;
}): string {
  const t5 = table5(options.scores, options.bbhChance);
  const lines = [
    `# Evaluation of ${options.model}`,
    '',
    `MMLU split: ${options.mmluSplit} (the paper reports validation). Averages are unweighted means over tasks; TyDiQA and MGSM exclude English.`,
    '',
    `| Model | ${TABLE5_COLUMNS.map((c) => HEADERS[c]).join(' | ')} | Norm. avg. |`,
    `|---|${TABLE5_COLUMNS.map(() => '---:').join('|')}|---:|`,
    `| ${options.model} | ${TABLE5_COLUMNS.map((c) => fmt(t5.scores[c])).join(' | ')} | ${fmt(t5.normalized_average)} |`,
    '',
  ];
  const rank = options.scores.filter((s) => s.mode === 'rank');
  if (rank.length > 0) {
    lines.push('Rank classification (each option scored, the most likely chosen):', '');
    for (const s of rank) lines.push(`- ${s.benchmark} ${s.format} (rank): ${fmt(s.macro)}`);
    lines.push('');
  }
  for (const s of options.scores) {
    const truncated =
      (s.truncated > 0 ? `, ${s.truncated} prompt(s) truncated` : '') +
      (s.shots_dropped > 0 ? `, ${s.shots_dropped} with exemplars dropped to fit` : '');
    lines.push(
      `## ${s.benchmark} ${s.format} (${s.mode}): ${fmt(s.macro)}`,
      '',
      `${s.n} examples${truncated}.`,
      '',
    );
    lines.push('| task | accuracy | n | truncated | shots dropped |', '|---|---:|---:|---:|---:|');
    for (const [task, t] of Object.entries(s.tasks))
      lines.push(`| ${task} | ${fmt(t.accuracy)} | ${t.n} | ${t.truncated} | ${t.shots_dropped} |`);
    lines.push('');
  }
  return lines.join('\n');
}

/** What `compareMarkdown` reads of a results.json. */
export interface ResultsSummary {
  model: { source: string };
  table5: { scores: Table5Scores; normalized_average: number };
  benchmarks: readonly BenchmarkScore[];
}

/** The side-by-side table of two runs (base vs finetuned: the paper's central comparison), with b − a. */
export function compareMarkdown(a: ResultsSummary, b: ResultsSummary): string {
  const delta = (x: number | undefined, y: number | undefined) =>
    x === undefined || y === undefined || Number.isNaN(x) || Number.isNaN(y)
      ? '–'
      : `${y - x >= 0 ? '+' : ''}${(y - x).toFixed(1)}`;
  const lines = [
    `| | ${a.model.source} | ${b.model.source} | Δ |`,
    '|---|---:|---:|---:|',
    ...TABLE5_COLUMNS.map(
      (c) =>
        `| ${HEADERS[c]} | ${fmt(a.table5.scores[c])} | ${fmt(b.table5.scores[c])} | ${delta(a.table5.scores[c], b.table5.scores[c])} |`,
    ),
    `| Norm. avg. | ${fmt(a.table5.normalized_average)} | ${fmt(b.table5.normalized_average)} | ${delta(a.table5.normalized_average, b.table5.normalized_average)} |`,
  ];
  for (const s of a.benchmarks.filter((x) => x.mode === 'rank')) {
    const other = b.benchmarks.find(
      (x) => x.benchmark === s.benchmark && x.format === s.format && x.mode === 'rank',
    );
    lines.push(
      `| ${s.benchmark} ${s.format} (rank) | ${fmt(s.macro)} | ${fmt(other?.macro)} | ${delta(s.macro, other?.macro)} |`,
    );
  }
  return lines.join('\n') + '\n';
}
