/**
 * The Web Worker runner's message protocol, over a real MessageChannel (structured clone, as between
 * a page and a worker): results stream per batch and come back in prompt order, equal to running
 * the prompts directly; errors keep their name and option; cancel stops before the next batch.
 */
import * as tf from '@tensorflow/tfjs-core';
import { sharedFiles } from '@flan-ts/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createEvalClient,
  createEvalWorkerHandler,
  evaluatePrompts,
  serveEvaluation,
  type EvalResponse,
  type RunSettings,
  type WorkerModel,
} from '../src/index';
import { loadPrompts } from '../src/node';

const paths = sharedFiles('data', 'fixtures/models/flan-t5-tiny');
const settings: RunSettings = { mode: 'generate', maxInputTokens: 2048, batchSize: 2, maxNewTokens: 4 };

describe.skipIf(!paths)('evaluation worker protocol', () => {
  const [data, modelDir] = paths ?? ['', ''];
  let loaded: WorkerModel & { dispose(): void };
  let loads = 0;
  const load = async () => {
    loads += 1;
    return loaded;
  };

  beforeAll(async () => {
    const { initNodeBackend } = await import('@flan-ts/models/node');
    await initNodeBackend('wasm');
    const { loadPretrained } = await import('@flan-ts/hub/node');
    const p = await loadPretrained(modelDir);
    loaded = { model: p.model, tokenizer: p.tokenizer!, dispose: () => p.model.dispose() };
  });
  afterAll(() => loaded.dispose());

  it('streams each batch and resolves with every result in prompt order and the scores', async () => {
    const prompts = [
      ...(await loadPrompts(data, 'bbh', 'direct', { task: 'navigate', limit: 3 })),
      ...(await loadPrompts(data, 'mmlu', 'direct', { task: 'anatomy', limit: 2 })),
    ];
    const { port1, port2 } = new MessageChannel();
    const stop = serveEvaluation(port1, load);
    const client = createEvalClient(port2);
    const batches: { indices: number[]; done: number; total: number }[] = [];
    const tensors = tf.memory().numTensors;
    const { results, scores } = await client.evaluate(prompts, settings, ({ indices, done, total }) =>
      batches.push({ indices, done, total }),
    ).promise;
    expect(tf.memory().numTensors).toBe(tensors);
    // BBH: batches of 2 + 1 by length; MMLU: one batch of 2.
    expect(batches.map((b) => `${b.done}/${b.total}`)).toEqual(['2/5', '3/5', '5/5']);
    expect(batches.flatMap((b) => b.indices).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(results.map((r) => r.example_id)).toEqual(prompts.map((p) => p.example_id));
    const direct = await evaluatePrompts(loaded.model, loaded.tokenizer, prompts, settings);
    expect(results).toEqual(direct);
    expect(scores.map((s) => `${s.benchmark} ${s.format} ${s.n}`)).toEqual(['bbh direct 3', 'mmlu direct 2']);

    // A second request reuses the loaded model.
    await client.evaluate(prompts.slice(0, 1), settings).promise;
    expect(loads).toBe(1);
    client.close();
    stop();
    port1.close();
    port2.close();
  });

  it('a model/tokenizer mismatch arrives as an EvalError naming the option', async () => {
    const { port1, port2 } = new MessageChannel();
    serveEvaluation(port1, async () => ({
      model: loaded.model,
      tokenizer: {
        ...loaded.tokenizer,
        encode: (t: string) => loaded.tokenizer.encode(t),
        decode: () => '',
        vocabSize: 32100,
        eosId: 5,
      },
    }));
    const client = createEvalClient(port2);
    const prompts = await loadPrompts(data, 'bbh', 'direct', { task: 'navigate', limit: 1 });
    await expect(client.evaluate(prompts, settings).promise).rejects.toMatchObject({
      name: 'EvalError',
      option: 'model',
      message: "the tokenizer's eos id is 5 but the model's config says eos_token_id 1",
    });
    port1.close();
    port2.close();
  });

  it('cancel: no batch starts after it, and the call rejects', async () => {
    const posted: EvalResponse[] = [];
    const handler = createEvalWorkerHandler(load, (r) => {
      posted.push(r);
      // Cancel as soon as the first batch is reported.
      if (r.type === 'results') void handler.handle({ type: 'cancel', id: 7 });
    });
    const prompts = await loadPrompts(data, 'bbh', 'direct', { task: 'navigate', limit: 6 });
    await handler.handle({ type: 'evaluate', id: 7, prompts, settings });
    expect(posted.map((r) => r.type)).toEqual(['results', 'error']);
    expect(posted[1]).toMatchObject({ id: 7, name: 'EvalError', message: 'evaluation cancelled' });
  });
});
