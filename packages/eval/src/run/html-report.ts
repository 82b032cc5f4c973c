/**
 * `report.html`: a run's Table 5 and one bar chart of per-task accuracy per benchmark × format ×
 * mode, or two runs side by side (base vs finetuned, the paper's central comparison). Charts are
 * Vega-Lite specs rendered to static SVG (no script, no network: the file opens offline).
 */
import { TABLE5_COLUMNS } from '../normalize';
import type { BenchmarkScore, ResultsSummary } from './report';

/** What the HTML report reads of a `results.json`. */
export interface HtmlResults extends ResultsSummary {
  data?: { mmlu_split?: string };
}

const TABLE5_HEADERS = [
  'MMLU Direct',
  'MMLU CoT',
  'BBH Direct',
  'BBH CoT',
  'TyDiQA Direct',
  'MGSM CoT',
] as const;

interface Bar {
  task: string;
  accuracy: number;
  run: string;
}

/** Horizontal bars (one row per task; MMLU has 57), grouped by run when there are two. */
function barChart(bars: Bar[], title: string, runs: number): Record<string, unknown> {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 520,
    height: { step: runs > 1 ? 10 : 14 },
    data: { values: bars },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      y: { field: 'task', type: 'nominal', title: null, sort: null },
      x: {
        field: 'accuracy',
        type: 'quantitative',
        title: 'accuracy (%)',
        scale: { domain: [0, 100] },
      },
      ...(runs > 1
        ? {
            yOffset: { field: 'run', type: 'nominal' },
            color: { field: 'run', type: 'nominal', title: null, legend: { orient: 'bottom' } },
          }
        : {}),
    },
  };
}

async function toSvg(spec: Record<string, unknown>): Promise<string> {
  const vega = await import('vega');
  const vegaLite = await import('vega-lite');
  const compiled = vegaLite.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(1));
const label = (s: Pick<BenchmarkScore, 'benchmark' | 'format' | 'mode'>) =>
  `${s.benchmark} ${s.format} (${s.mode})`;
const sameUnit = (a: BenchmarkScore) => (b: BenchmarkScore) =>
  a.benchmark === b.benchmark && a.format === b.format && a.mode === b.mode;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 820px; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { text-align: left; padding: 0.2rem 0.7rem; border-bottom: 1px solid #ddd; font-weight: normal; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
th { color: #555; }
section { margin: 2rem 0; }
details summary { cursor: pointer; color: #555; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`;
}

function table(header: string[], rows: string[][]): string {
  const cell = (c: string, i: number) => `<td${i > 0 ? ' class="n"' : ''}>${escapeHtml(c)}</td>`;
  return `<table>
<tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>
${rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('\n')}
</table>`;
}

function taskRows(runs: readonly HtmlResults[], unit: BenchmarkScore): string[][] {
  const scores = runs.map((r) => r.benchmarks.find(sameUnit(unit)));
  const tasks = [...new Set(scores.flatMap((s) => Object.keys(s?.tasks ?? {})))];
  return tasks.map((task) => [task, ...scores.map((s) => fmt(s?.tasks[task]?.accuracy))]);
}

/** One run's report: Table 5, then a chart and a per-task table per benchmark × format × mode. */
export async function resultsHtml(run: HtmlResults): Promise<string> {
  return reportHtml([run], `Evaluation of ${run.model.source}`);
}

/** Two runs side by side (grouped bars per task, b − a in the tables). */
export async function compareHtml(a: HtmlResults, b: HtmlResults): Promise<string> {
  return reportHtml([a, b], `${a.model.source} vs ${b.model.source}`);
}

async function reportHtml(runs: readonly HtmlResults[], title: string): Promise<string> {
  // Runs with the same source (e.g. one model on two machines) are told apart by position.
  const names = runs.map((r, i) =>
    runs.some((o, j) => j !== i && o.model.source === r.model.source)
      ? `${String.fromCharCode(97 + i)}: ${r.model.source}`
      : r.model.source,
  );
  const withDelta = runs.length === 2;
  const delta = (x: number | undefined, y: number | undefined) =>
    x === undefined || y === undefined || Number.isNaN(x) || Number.isNaN(y)
      ? '–'
      : `${y - x >= 0 ? '+' : ''}${(y - x).toFixed(1)}`;
  const t5Rows = TABLE5_COLUMNS.map((c, i) => {
    const values = runs.map((r) => r.table5.scores[c]);
    return [TABLE5_HEADERS[i]!, ...values.map(fmt), ...(withDelta ? [delta(values[0], values[1])] : [])];
  });
  const avg = runs.map((r) => r.table5.normalized_average);
  t5Rows.push(['Norm. avg.', ...avg.map(fmt), ...(withDelta ? [delta(avg[0], avg[1])] : [])]);
  const header = ['', ...names, ...(withDelta ? ['Δ'] : [])];
  const splits = runs.map((r) => r.data?.mmlu_split).filter((s) => s !== undefined);
  const sections: string[] = [
    `<p>MMLU split: ${escapeHtml([...new Set(splits)].join(', ') || 'unknown')} (the paper reports validation). Averages are unweighted means over tasks; TyDiQA and MGSM exclude English.</p>`,
    `<section><h2>Table 5</h2>${table(header, t5Rows)}</section>`,
  ];
  const units: BenchmarkScore[] = [];
  for (const r of runs) for (const s of r.benchmarks) if (!units.some(sameUnit(s))) units.push(s);
  for (const unit of units) {
    const bars: Bar[] = [];
    runs.forEach((r, i) => {
      const s = r.benchmarks.find(sameUnit(unit));
      for (const [task, t] of Object.entries(s?.tasks ?? {}))
        bars.push({ task, accuracy: t.accuracy, run: names[i]! });
    });
    const macros = runs.map((r) => r.benchmarks.find(sameUnit(unit))?.macro);
    const heading = `${label(unit)}: ${macros.map(fmt).join(' vs ')}`;
    const svg = await toSvg(barChart(bars, label(unit), runs.length));
    const rows = taskRows(runs, unit).map((row) =>
      withDelta ? [...row, delta(Number(row[1]), Number(row[2]))] : row,
    );
    sections.push(
      `<section class="benchmark" data-unit="${escapeHtml(label(unit))}">
<h2>${escapeHtml(heading)}</h2>
<figure>${svg}</figure>
<details><summary>per task</summary>
${table(['task', ...names, ...(withDelta ? ['Δ'] : [])], rows)}
</details>
</section>`,
    );
  }
  return page(title, sections.join('\n'));
}
