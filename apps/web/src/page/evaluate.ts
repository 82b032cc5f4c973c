/**
 * The Evaluate section: the page reads the benchmark choices, @flan-ts/eval's loaders build the
 * prompt records from a data directory (a URL, or a picked folder), and each model (base,
 * finetuned) is served on its own MessageChannel by the app's worker (`serveEvaluation`), which runs
 * generation and extraction. No benchmark logic here: formats, task lists and prompts are the package's.
 */
import {
  BENCHMARK_FORMATS,
  BENCHMARK_NAMES,
  createEvalClient,
  fetchSource,
  filesSource,
  loadEvaluationData,
  type BenchmarkChoice,
  type BenchmarkScore,
  type DataSource,
  type EvaluationData,
  type PromptRecord,
} from '@flan-ts/eval';
import type { EvalSpec, Which } from '../protocol';
import { $, cell, checked, pct, value } from './dom';

/** Fills each benchmark's format list from the package (the first is the default). */
export function fillFormats(): void {
  for (const name of BENCHMARK_NAMES) {
    const select = $<HTMLSelectElement>(`eval-${name}-format`);
    select.replaceChildren(
      ...BENCHMARK_FORMATS[name].map((f) =>
        Object.assign(document.createElement('option'), { value: f, textContent: f }),
      ),
    );
  }
}

/** The ticked benchmarks with their format, tasks (comma-separated; none: all) and examples per task. */
export function readChoices(): BenchmarkChoice[] {
  return BENCHMARK_NAMES.filter((name) => checked(`eval-${name}`)).map((benchmark) => {
    const limit = value(`eval-${benchmark}-limit`).trim();
    return {
      benchmark,
      format: value(`eval-${benchmark}-format`),
      tasks: value(`eval-${benchmark}-tasks`)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      ...(limit === '' ? {} : { limit: Number(limit) }),
    };
  });
}

/**
 * A picked folder's files by their path in the data directory. The folder may be the data
 * directory (`data/bbh/navigate.jsonl`: its name is dropped) or one benchmark's (`bbh/…`: kept).
 */
export function pickedFiles(files: Iterable<File>): Record<string, File> {
  const out: Record<string, File> = {};
  for (const f of files) {
    const parts = (f.webkitRelativePath || f.name).split('/');
    if (parts.length > 1 && !(BENCHMARK_NAMES as readonly string[]).includes(parts[0]!)) parts.shift();
    out[parts.join('/')] = f;
  }
  return out;
}

function sourceOf(spec: EvalSpec): DataSource {
  if (spec.files && Object.keys(spec.files).length > 0) return filesSource(spec.files, 'the picked folder');
  if (!spec.baseUrl) throw new Error('give the data URL or pick the data folder');
  return fetchSource(new URL(spec.baseUrl, location.href).href);
}

/** The prompt records of the chosen benchmarks and the data's sizes. */
export function evaluationData(spec: EvalSpec): Promise<EvaluationData> {
  if (spec.benchmarks.length === 0) throw new Error('tick at least one benchmark');
  return loadEvaluationData(sourceOf(spec), spec.benchmarks);
}

/** `bbh: navigate 250, web_of_lies 250 · mmlu: astronomy 152 · evaluating 8`. */
export function sizesText({ prompts, sizes }: EvaluationData): string {
  const parts = Object.entries(sizes).map(
    ([benchmark, tasks]) =>
      `${benchmark}: ${Object.entries(tasks)
        .map(([task, n]) => `${task} ${n}`)
        .join(', ')}`,
  );
  return `${parts.join(' · ')} · evaluating ${prompts.length}`;
}

/** Evaluates `prompts` with the model `which` of `worker`; `onProgress` hears each batch. */
export async function evaluateIn(
  worker: Worker,
  which: Which,
  prompts: readonly PromptRecord[],
  maxNewTokens: number | undefined,
  onProgress: (done: number, total: number) => void,
): Promise<BenchmarkScore[]> {
  const { port1, port2 } = new MessageChannel();
  worker.postMessage({ type: 'serve-eval', which, port: port2 }, [port2]);
  const client = createEvalClient(port1);
  try {
    const { scores } = await client.evaluate(
      prompts,
      // Undefined maxNewTokens: each format's default (room for a chain of thought, a short answer).
      { mode: 'generate', maxInputTokens: 2048, batchSize: 4, ...(maxNewTokens ? { maxNewTokens } : {}) },
      ({ done, total }) => onProgress(done, total),
    ).promise;
    return scores;
  } finally {
    client.close();
    port1.close();
  }
}

/** Accuracy per benchmark, format and task, with each benchmark's macro average; a column per model. */
export function showEvaluation(scores: Partial<Record<Which, BenchmarkScore[]>>): void {
  const table = $<HTMLTableElement>('eval-table');
  const which = Object.keys(scores) as Which[];
  const label = { base: 'base', tuned: 'finetuned' };
  const head = document.createElement('tr');
  for (const h of ['benchmark', 'task', 'n', ...which.map((w) => label[w])]) cell(head, h, true);
  table.tHead!.replaceChildren(head);
  const key = (s: BenchmarkScore) => `${s.benchmark} ${s.format}`;
  const of = (w: Which, k: string) => scores[w]!.find((s) => key(s) === k);
  const rows = scores[which[0]!]!.flatMap((first) => {
    const k = key(first);
    const taskRows = Object.entries(first.tasks).map(([task, t]) => {
      const row = document.createElement('tr');
      cell(row, k);
      cell(row, task);
      cell(row, String(t.n));
      for (const w of which) cell(row, pct(of(w, k)?.tasks[task]?.accuracy));
      return row;
    });
    const avg = document.createElement('tr');
    cell(avg, k, true);
    cell(avg, 'average (macro)', true);
    cell(avg, String(first.n));
    for (const w of which) cell(avg, pct(of(w, k)?.macro));
    return [...taskRows, avg];
  });
  table.tBodies[0]!.replaceChildren(...rows);
  table.hidden = false;
}
