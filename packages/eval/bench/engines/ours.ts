/**
 * Ours: the eval runner (`evaluateBatch`: generation + extraction, or rank classification with
 * `scoreTargets`) on a T5Model, tfjs-backend-wasm, one thread, over the batches of the spec.
 *
 *   tsx --conditions=@flan-ts/source bench/engines/ours.ts SPEC_JSON
 *
 * One JSON line (`EngineResult`) on stdout.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initNodeBackend } from '@flan-ts/models/node';
import { loadPretrained } from '@flan-ts/hub/node';
import type { Seq2SeqLM } from '@flan-ts/models';
import { evaluateBatch, type EncodedPrompt, type PromptRecord, type RunSettings } from '../../src/index';
import type { BenchSpec, EngineResult } from '../spec';

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as BenchSpec;
tf.env().set('PROD', true);
await initNodeBackend('wasm');
const { model, tokenizer } = await loadPretrained(spec.modelDir);

// Counts decoder positions (rows × steps) as the peer does, to check both did the same work.
let positions = 0;
const counted: Seq2SeqLM = new Proxy(model, {
  get(target, key) {
    const value = Reflect.get(target, key, target) as unknown;
    if (key === 'decode' && typeof value === 'function')
      return (ids: tf.Tensor2D, ...rest: unknown[]) => {
        if (ids.shape[1] === 1) positions += ids.shape[0];
        return (value as (...a: unknown[]) => unknown).call(target, ids, ...rest);
      };
    return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
  },
});

const prompt = (record: PromptRecord, ids: number[]): EncodedPrompt => ({
  record,
  key: record.example_id,
  ids,
  truncated: false,
  promptTokens: ids.length,
  shotsDropped: 0,
});

async function runCase(c: BenchSpec['cases'][number], batches = c.batches): Promise<void> {
  const settings: RunSettings = {
    mode: c.kind,
    maxNewTokens: c.max_new_tokens,
    maxInputTokens: 4096,
    batchSize: spec.batch_size,
  };
  for (const [b, batch] of batches.entries())
    await evaluateBatch(
      counted,
      tokenizer!,
      batch.map((ids, i) => prompt(c.records[b]![i] as PromptRecord, ids)),
      settings,
    );
}

const result: EngineResult = { engine: 'ours (tfjs-backend-wasm, 1 thread)', cases: {} };
// Warm-up (heap pages, kernels): one row of each kind, not timed.
for (const kind of ['generate', 'rank'] as const) {
  const c = spec.cases.find((x) => x.kind === kind)!;
  await runCase({ ...c, max_new_tokens: 2 }, [[c.batches[0]![0]!]]);
}
for (const c of spec.cases) {
  positions = 0;
  const tensors = tf.memory().numTensors;
  const wall = performance.now();
  const cpu = process.cpuUsage();
  await runCase(c);
  const used = process.cpuUsage(cpu);
  result.cases[c.name] = {
    wall_s: (performance.now() - wall) / 1000,
    cpu_s: (used.user + used.system) / 1e6,
    examples: c.batches.reduce((n, b) => n + b.length, 0),
    new_tokens: positions,
  };
  if (tf.memory().numTensors !== tensors) throw new Error(`${c.name}: tensors leaked`);
}
model.dispose();
process.stdout.write(JSON.stringify(result) + '\n');
