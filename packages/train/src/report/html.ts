/**
 * The run's HTML report: loss (training and held-out) and learning-rate curves drawn by Vega-Lite,
 * rendered to static SVG in Node, so the file opens offline with no script and no network.
 */
import type { RunMetrics } from './metrics';

interface Point {
  step: number;
  value: number;
  series: string;
}

function lineChart(
  points: Point[],
  title: string,
  yTitle: string,
  fromZero = false,
): Record<string, unknown> {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 640,
    height: 260,
    data: { values: points },
    mark: { type: 'line', point: points.length <= 60 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: {
        field: 'value',
        type: 'quantitative',
        title: yTitle,
        // A constant learning rate would collapse a zero-less domain to one point.
        scale: { zero: fromZero },
        axis: fromZero ? { format: '.1e' } : {},
      },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

async function toSvg(spec: Record<string, unknown>): Promise<string> {
  const vega = await import('vega');
  const vegaLite = await import('vega-lite');
  const compiled = vegaLite.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface ReportOptions {
  title?: string;
  /** The run's settings, shown as a table. */
  config?: Record<string, unknown>;
}

/** The report as one self-contained HTML page. */
export async function renderTrainingReport(
  metrics: readonly RunMetrics[],
  options: ReportOptions = {},
): Promise<string> {
  const train = metrics.filter((m) => m.kind === 'train');
  const evals = metrics.filter((m) => m.kind === 'eval');
  const loss: Point[] = [
    ...train.map((m) => ({ step: m.step, value: m.loss, series: 'training loss' })),
    ...evals.map((m) => ({ step: m.step, value: m.eval_loss, series: 'held-out loss' })),
  ];
  const lr: Point[] = train.map((m) => ({ step: m.step, value: m.learning_rate, series: 'learning rate' }));
  const charts = [await toSvg(lineChart(loss, 'Loss', 'mean token cross-entropy'))];
  if (lr.length > 0) charts.push(await toSvg(lineChart(lr, 'Learning rate', 'learning rate', true)));
  const last = train[train.length - 1];
  const lastEval = evals[evals.length - 1];
  const summary: [string, string][] = [];
  if (last !== undefined) {
    summary.push(['steps', String(last.step)], ['final training loss', last.loss.toFixed(4)]);
    summary.push(['examples seen', String(last.examples_seen)]);
    const rate = train.reduce((a, m) => a + m.tokens_per_second, 0) / train.length;
    summary.push(['mean tokens/s', rate.toFixed(1)]);
  }
  if (lastEval !== undefined) summary.push(['final held-out loss', lastEval.eval_loss.toFixed(4)]);
  const rows = (pairs: [string, string][]) =>
    pairs.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('\n');
  const config = Object.entries(options.config ?? {}).map(
    ([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)] as [string, string],
  );
  const title = escapeHtml(options.title ?? 'Training run');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${title}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 760px; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { text-align: left; padding: 0.2rem 0.8rem; border-bottom: 1px solid #ddd; font-weight: normal; }
th { color: #555; }
figure { margin: 1.5rem 0; }
</style>
</head>
<body>
<h1>${title}</h1>
<table>
${rows(summary)}
</table>
${charts.map((svg) => `<figure>${svg}</figure>`).join('\n')}
<h2>Configuration</h2>
<table>
${rows(config)}
</table>
</body>
</html>
`;
}
