/** Writes a run's reports beside each other: `results.json`, `results.md` and `report.html`. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resultsHtml } from '../run/html-report';
import { resultsMarkdown } from '../run/report';
import type { EvaluationResults } from '../run/results';

/** The paths written. */
export interface ResultFiles {
  json: string;
  markdown: string;
  html: string;
}

export async function writeResults(dir: string, results: EvaluationResults): Promise<ResultFiles> {
  const files = {
    json: join(dir, 'results.json'),
    markdown: join(dir, 'results.md'),
    html: join(dir, 'report.html'),
  };
  await writeFile(files.json, JSON.stringify(results, null, 2) + '\n');
  const md = resultsMarkdown({
    model: results.model.source,
    scores: results.benchmarks,
    mmluSplit: results.data.mmlu_split,
  });
  await writeFile(files.markdown, md + '\n');
  await writeFile(files.html, await resultsHtml(results));
  return files;
}
