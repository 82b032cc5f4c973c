/**
 * runEvaluation (the library's whole run) with flan-t5-tiny: progress through the callback, the
 * result cache (a resumed run computes nothing and does not load the model), and bad requests
 * (unknown names, a tokenizer that does not fit the model) refused before any example runs.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { sharedFiles } from '@flan-ts/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  runEvaluation,
  type EvalProgress,
  type LoadedEvalModel,
  type RunEvaluationOptions,
} from '../src/node';

const paths = sharedFiles('data', 'fixtures/models/flan-t5-tiny');

describe.skipIf(!paths)('runEvaluation with flan-t5-tiny', () => {
  const [data, modelDir] = paths ?? ['', ''];
  let loads = 0;
  const load = async (): Promise<LoadedEvalModel> => {
    loads += 1;
    const { loadPretrained } = await import('@flan-ts/hub/node');
    const { model, tokenizer } = await loadPretrained(modelDir);
    return { model, tokenizer: tokenizer!, close: () => model.dispose() };
  };
  const options = (out: string): RunEvaluationOptions => ({
    data,
    model: modelDir,
    load,
    out,
    benchmarks: ['bbh', 'mmlu'],
    formats: ['direct'],
    modes: ['generate', 'rank'],
    tasks: ['navigate', 'anatomy'],
    limit: 3,
    maxNewTokens: 4,
    batchSize: 2,
  });

  beforeAll(async () => {
    const { initNodeBackend } = await import('@flan-ts/models/node');
    await initNodeBackend('wasm');
  });

  it('reports progress per unit, writes the reports, and a resumed run computes nothing', async () => {
    const out = mkdtempSync(join(tmpdir(), 'flan-eval-lib-'));
    const events: EvalProgress[] = [];
    const tensors = tf.memory().numTensors;
    const run = await runEvaluation({ ...options(out), onProgress: (p) => events.push({ ...p }) });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(loads).toBe(1);
    expect(run.computed).toBe(9);
    expect(run.cached).toBe(0);
    expect(run.results.benchmarks.map((b) => `${b.benchmark} ${b.format} ${b.mode} ${b.n}`)).toEqual([
      'bbh direct generate 3',
      'mmlu direct generate 3',
      'mmlu direct rank 3',
    ]);
    // A first event per unit (nothing done), then one per batch of 2 (3 examples: 2 + 1).
    const label = (p: EvalProgress) => `${p.unit} ${p.benchmark} ${p.mode} ${p.done}/${p.total}`;
    expect(events.map(label)).toEqual([
      '0 bbh generate 0/3',
      '1 mmlu generate 0/3',
      '2 mmlu rank 0/3',
      '0 bbh generate 2/3',
      '0 bbh generate 3/3',
      '1 mmlu generate 2/3',
      '1 mmlu generate 3/3',
      '2 mmlu rank 2/3',
      '2 mmlu rank 3/3',
    ]);
    for (const f of [run.files.json, run.files.markdown, run.files.html]) expect(existsSync(f)).toBe(true);
    const json = JSON.parse(readFileSync(run.files.json, 'utf8')) as typeof run.results;
    expect(json.timings).toMatchObject({ examples: 9, computed: 9, cached: 0 });
    expect(json.settings).toMatchObject({
      mode: 'generate,rank',
      batch_size: 2,
      max_new_tokens: 4,
      workers: 1,
    });
    expect(readFileSync(run.files.html, 'utf8').split('<svg').length - 1).toBe(3);

    const resumedEvents: EvalProgress[] = [];
    const resumed = await runEvaluation({
      ...options(out),
      resume: true,
      onProgress: (p) => resumedEvents.push({ ...p }),
    });
    expect(loads).toBe(1);
    expect(resumed).toMatchObject({ computed: 0, cached: 9 });
    expect(resumedEvents.map((p) => `${p.done}/${p.total} ${p.cached}`)).toEqual(['3/3 3', '3/3 3', '3/3 3']);
    expect(resumed.results.benchmarks).toEqual(run.results.benchmarks);
    expect(resumed.results.timings).toMatchObject({ computed: 0, cached: 9 });
  }, 120_000);

  it('unknown names and a mismatched tokenizer fail before any example runs', async () => {
    const out = mkdtempSync(join(tmpdir(), 'flan-eval-lib-'));
    const before = loads;
    await expect(runEvaluation({ ...options(out), benchmarks: ['bbx'] })).rejects.toThrow(
      'unknown benchmark "bbx" (known: mmlu, bbh, tydiqa, mgsm)',
    );
    await expect(runEvaluation({ ...options(out), formats: ['zz'] })).rejects.toMatchObject({
      name: 'EvalError',
      option: 'formats',
      message: 'unknown format "zz"',
    });
    expect(loads).toBe(before);
    const oversized = async (): Promise<LoadedEvalModel> => {
      const loaded = await load();
      const tokenizer = loaded.tokenizer;
      return {
        ...loaded,
        tokenizer: {
          encode: (t: string) => tokenizer.encode(t),
          decode: (ids: readonly number[]) => tokenizer.decode(ids),
          vocabSize: 40000,
        },
      };
    };
    const tensors = tf.memory().numTensors;
    await expect(runEvaluation({ ...options(out), load: oversized })).rejects.toMatchObject({
      option: 'model',
      message:
        "the tokenizer has 40000 ids but the model's embedding has 32128 rows: not this model's tokenizer",
    });
    // The model was freed, and no result was computed.
    expect(tf.memory().numTensors).toBe(tensors);
    expect(existsSync(join(out, 'cache.jsonl'))).toBe(false);
  }, 60_000);
});
