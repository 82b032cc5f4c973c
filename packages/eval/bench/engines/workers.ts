/**
 * `--workers` scaling through the library: `runEvaluation` with N worker processes, each this script
 * again with `--shard i/n` calling `runEvaluationShard` (what a library user does; the CLI does the
 * same with itself). Runs from the sources, so it does not depend on built packages.
 *
 *   tsx --conditions=@flan-ts/source bench/engines/workers.ts MODEL_DIR DATA_DIR OUT TASKS LIMIT N [--shard i/n]
 *
 * The parent prints one JSON line: wall seconds (model loads and process starts included), examples.
 */
import { fileURLToPath } from 'node:url';
import { initNodeBackend } from '@flan-ts/models/node';
import { loadPretrained } from '@flan-ts/hub/node';
import { parseShard, runEvaluation, runEvaluationShard, type RunEvaluationOptions } from '../../src/node';

const [modelDir, data, out, tasks, limit, workers, flag, shard] = process.argv.slice(2) as string[];
const options: RunEvaluationOptions = {
  data: data!,
  model: modelDir!,
  out: out!,
  benchmarks: ['mmlu'],
  formats: ['direct'],
  tasks: tasks!.split(','),
  limit: Number(limit),
  maxNewTokens: 8,
  workers: Number(workers),
  load: async () => {
    await initNodeBackend('wasm');
    const { model, tokenizer } = await loadPretrained(modelDir!);
    return { model, tokenizer: tokenizer!, close: () => model.dispose() };
  },
  workerCommand: ({ index, count }) => ({
    command: process.execPath,
    args: [
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      ...process.argv.slice(2, 8),
      '--shard',
      `${index}/${count}`,
    ],
  }),
};

if (flag === '--shard') await runEvaluationShard(options, parseShard(shard!));
else {
  const started = performance.now();
  const run = await runEvaluation(options);
  const wall = (performance.now() - started) / 1000;
  process.stdout.write(JSON.stringify({ wall_s: wall, examples: run.results.timings.examples }) + '\n');
}
