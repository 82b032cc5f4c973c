/**
 * BBH evaluation through @flan-ts/eval's Web Worker runner: the page builds the prompt records from
 * the data (a URL or picked files), and each model (base, finetuned) is served on its own
 * MessageChannel by the app's worker (`serveEvaluation`), which runs generation and extraction.
 */
import {
  bbhPrompts,
  createEvalClient,
  parseBbh,
  type BenchmarkScore,
  type PromptRecord,
} from '@flan-ts/eval';
import type { EvalSpec, Which } from '../protocol';

async function text(spec: EvalSpec, name: string): Promise<string> {
  const given = spec.files?.[name];
  if (given !== undefined) return given;
  if (!spec.baseUrl) throw new Error(`${name}: give the BBH data URL or pick the file`);
  const url = new URL(name, spec.baseUrl.endsWith('/') ? spec.baseUrl : `${spec.baseUrl}/`).href;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.text();
}

/** The prompt records of the chosen tasks (the first `limit` of each) and the data's sizes. */
export async function bbhPromptRecords(
  spec: EvalSpec,
): Promise<{ prompts: PromptRecord[]; sizes: Record<string, number> }> {
  const prompts: PromptRecord[] = [];
  const sizes: Record<string, number> = {};
  for (const task of spec.tasks) {
    const records = parseBbh(await text(spec, `${task}.jsonl`), `bbh/${task}.jsonl`);
    sizes[task] = records.length;
    const cotPromptFile = await text(spec, `cot-prompts/${task}.txt`);
    prompts.push(...bbhPrompts({ task, records, cotPromptFile }, spec.format, spec.limit));
  }
  return { prompts, sizes };
}

/** Evaluates `prompts` with the model `which` of `worker`; `onProgress` hears each batch. */
export async function evaluateIn(
  worker: Worker,
  which: Which,
  prompts: readonly PromptRecord[],
  maxNewTokens: number,
  onProgress: (done: number, total: number) => void,
): Promise<BenchmarkScore> {
  const { port1, port2 } = new MessageChannel();
  worker.postMessage({ type: 'serve-eval', which, port: port2 }, [port2]);
  const client = createEvalClient(port1);
  try {
    const { scores } = await client.evaluate(
      prompts,
      { mode: 'generate', maxInputTokens: 2048, batchSize: 4, maxNewTokens },
      ({ done, total }) => onProgress(done, total),
    ).promise;
    return scores[0]!;
  } finally {
    client.close();
    port1.close();
  }
}
