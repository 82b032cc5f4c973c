/**
 * A finetuning run in the worker, composed from @flan-ts/train's browser-safe parts: the Trainer and
 * `fit` loop, the Batcher over the data's sampler, the held-out loss, LoRA, and checkpoints saved
 * through an `OpfsCheckpointStore`, so a reload resumes from the newest one at the same data position.
 * Pausing holds the loop before its next micro-batch; stopping aborts it after the current step (a
 * checkpoint is written).
 */
import { loadCheckpointFromFiles, t5FromCheckpoint } from '@flan-ts/models';
import { fnv1a } from '@flan-ts/eval';
import {
  adapterFilesIn,
  applyLora,
  Batcher,
  configDifferences,
  fit,
  heldOutLoss,
  loraAdapterFileMap,
  loraAdapterFromFiles,
  mixtureExamples,
  modelFiles,
  newestCheckpoint,
  OpfsCheckpointStore,
  optimizerStateOf,
  readStoredCheckpoint,
  saveCheckpoint,
  Trainer,
  TRAINER_STATE_FORMAT,
  type BatcherState,
  type BatchStream,
  type ExampleSource,
  type AnyIdBatch,
  type LoraAdapter,
  type RunMetrics,
  type StoredCheckpoint,
} from '@flan-ts/train';
import type { SamplerState } from '@flan-ts/templates';
import * as tf from '@tensorflow/tfjs-core';
import type { DataSpec, Event, TrainPoint, TrainSettings } from '../protocol';
import { memoryInUse } from './backend';
import { prepareData, sampler, type PreparedData } from './data';
import type { Loaded } from './load';

/** Where the run's checkpoints live in OPFS (one run per origin: starting anew replaces it). */
const RUN_DIR = 'flan-ts/run';
const KEEP = 2;

type Post = (event: Event) => void;

/** What a checkpoint records and a resume compares: the settings and which data (by content hash). */
function recorded(spec: DataSpec, s: TrainSettings): Record<string, unknown> {
  const { text, ...data } = spec;
  return JSON.parse(JSON.stringify({ ...s, data: { ...data, hash: fnv1a(text) } })) as Record<
    string,
    unknown
  >;
}

/** Settings a resume may change: the run can be extended, and how often it saves or evaluates. */
const RESUMABLE = ['steps', 'saveEvery', 'evalEvery'];

/** The held-out examples, each once, as padded batches. */
async function heldOutBatches(data: PreparedData, loaded: Loaded, s: TrainSettings): Promise<AnyIdBatch[]> {
  if (!data.heldOut) return [];
  const all = mixtureExamples(sampler(data.heldOut, s.seed), loaded.tokenizer);
  let left = data.heldOutRecords;
  const finite: ExampleSource = {
    ...all,
    next: async () => (left-- > 0 ? all.next() : undefined),
    state: all.state,
    close: all.close,
    name: all.name,
  };
  const batcher = new Batcher(finite, {
    batchSize: s.batchSize,
    inputLength: s.inputLength,
    targetLength: s.targetLength,
    mode: 'pad',
    seed: s.seed,
  });
  const out: AnyIdBatch[] = [];
  for await (const { batch } of batcher) out.push(batch);
  return out;
}

const METRICS_FILE = 'metrics.jsonl';

function metricsFile(history: readonly RunMetrics[]): Uint8Array {
  return new TextEncoder().encode(history.map((m) => `${JSON.stringify(m)}\n`).join(''));
}

function readMetrics(checkpoint: StoredCheckpoint): RunMetrics[] {
  const bytes = checkpoint.files.get(METRICS_FILE);
  if (!bytes) return [];
  return new TextDecoder()
    .decode(bytes)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as RunMetrics);
}

function pointOf(m: RunMetrics): TrainPoint {
  if (m.kind === 'eval') return { kind: 'eval', step: m.step, loss: m.eval_loss };
  return {
    kind: 'train',
    step: m.step,
    loss: m.loss,
    learningRate: m.learning_rate,
    tokensPerSecond: m.tokens_per_second,
    memoryBytes: m.memory_bytes,
  };
}

export class TrainingSession {
  running = false;
  trained = false;
  adapter: LoraAdapter | undefined;
  private abort: AbortController | undefined;
  private paused: { promise: Promise<void>; release: () => void } | undefined;
  private post: Post = () => {};
  private step = 0;

  constructor(private readonly loaded: Loaded) {}

  /** The checkpoints in OPFS, and the newest one's step and target. */
  static async stored(): Promise<{
    names: string[];
    resumable: { step: number; steps: number } | undefined;
  }> {
    const store = await OpfsCheckpointStore.open(RUN_DIR);
    const newest = await newestCheckpoint(store);
    if (newest === undefined) return { names: [], resumable: undefined };
    const { state } = await readStoredCheckpoint(store, newest);
    const steps = (state.config as { steps?: number }).steps ?? state.step;
    return { names: await store.list(), resumable: { step: state.step, steps } };
  }

  static async adapterFiles(session: TrainingSession | undefined): Promise<Map<string, Uint8Array>> {
    if (!session?.adapter) throw new Error('no LoRA adapter: finetune with the LoRA method first');
    return loraAdapterFileMap(session.adapter);
  }

  static async modelFiles(
    loaded: Loaded,
    session: TrainingSession | undefined,
  ): Promise<Map<string, Uint8Array>> {
    if (session?.adapter)
      throw new Error('this run trained a LoRA adapter: download the adapter (the base model is unchanged)');
    const files = await modelFiles(loaded.model);
    for (const [name, bytes] of loaded.tokenizerFiles) files.set(name, bytes);
    return files;
  }

  /** Trains until the settings' steps, a stop, or the end of the data; resolves when the run ends. */
  async start(spec: DataSpec, s: TrainSettings, resume: boolean, post: Post): Promise<void> {
    this.post = post;
    const store = await OpfsCheckpointStore.open(RUN_DIR);
    const config = recorded(spec, s);
    let checkpoint: StoredCheckpoint | undefined;
    if (resume) {
      const newest = await newestCheckpoint(store);
      if (newest === undefined) throw new Error('there is no checkpoint in this browser to resume from');
      checkpoint = await readStoredCheckpoint(store, newest);
      const diff = configDifferences(checkpoint.state.config, config, RESUMABLE);
      if (diff.length > 0)
        throw new Error(`the checkpoint was made with other settings or data: ${diff.join('; ')}`);
    } else for (const name of await store.list()) await store.remove(name);

    const where = checkpoint ? store.describe(checkpoint.name) : '';
    const model = await this.replaceWeights(checkpoint, s);
    this.adapter?.dispose();
    this.adapter = undefined;
    if (s.lora) {
      this.adapter = checkpoint
        ? loraAdapterFromFiles(model, adapterFilesIn(checkpoint.files, where), where)
        : applyLora(model, { r: s.lora.r, alpha: s.lora.alpha, targetModules: s.lora.targetModules }, s.seed);
      for (const v of model.parameters().values()) v.trainable = false;
    }

    const data = await prepareData(spec);
    const saved = checkpoint?.state.data as BatcherState | undefined;
    const samplerState = (saved?.source as { sampler?: SamplerState } | undefined)?.sampler;
    const source = mixtureExamples(sampler(data.train, s.seed, samplerState), this.loaded.tokenizer);
    const batcher = new Batcher(source, {
      batchSize: s.batchSize,
      inputLength: s.inputLength,
      targetLength: s.targetLength,
      mode: s.pack ? 'pack' : 'pad',
      seed: s.seed,
      ...(saved ? { state: saved } : {}),
    });
    const held = await heldOutBatches(data, this.loaded, s);
    const trainer = new Trainer(model, {
      optimizer: { name: s.optimizer, learningRate: s.learningRate },
      seed: s.seed,
      ...(this.adapter ? { trainable: this.adapter.variables() } : {}),
    });
    if (checkpoint) {
      const tensors = optimizerStateOf(checkpoint, store);
      try {
        trainer.loadOptimizerState({ step: checkpoint.state.step, tensors });
      } finally {
        tf.dispose([...tensors.values()]);
      }
    }
    const stream: BatchStream = {
      next: async () => {
        await this.paused?.promise;
        // Stopped while paused: end before drawing another micro-batch.
        if (this.abort?.signal.aborted) return undefined;
        const next = await batcher.next();
        if (next === undefined) return undefined;
        const m = next.metrics;
        return {
          batch: next.batch,
          stats: { examples: m.examples, tokens: m.nonPadTokens, slots: m.totalTokens },
        };
      },
      state: () => batcher.state(),
    };

    this.abort = new AbortController();
    this.running = true;
    this.step = trainer.stepCount;
    post({
      type: 'train-started',
      step: trainer.stepCount,
      steps: s.steps,
      resumed: checkpoint !== undefined,
    });
    const seconds: number[] = [];
    const history = checkpoint ? readMetrics(checkpoint) : [];
    for (const m of history)
      post({ type: 'train-point', point: pointOf(m), steps: s.steps, etaSeconds: undefined });
    try {
      const result = await fit(trainer, stream, {
        steps: s.steps,
        gradAccum: s.gradAccum,
        examplesSeen: checkpoint?.state.examplesSeen ?? 0,
        memoryBytes: () => memoryInUse().wasmHeapBytes ?? memoryInUse().bytes,
        ...(held.length > 0 ? { evalEvery: s.evalEvery, evaluate: () => heldOutLoss(model, held) } : {}),
        saveEvery: s.saveEvery,
        save: async (position) => {
          const optimizerState = trainer.optimizerState();
          const state = {
            format: TRAINER_STATE_FORMAT as typeof TRAINER_STATE_FORMAT,
            step: position.step,
            examplesSeen: position.examplesSeen,
            data: position.data,
            rng: { seed: s.seed },
            config,
          };
          const name = await saveCheckpoint(
            store,
            {
              model,
              ...(this.adapter ? { adapter: this.adapter } : {}),
              optimizerState: optimizerState.tensors,
              state,
              // The curve so far travels with the checkpoint, so a resumed page redraws it.
              extraFiles: new Map([...this.loaded.tokenizerFiles, [METRICS_FILE, metricsFile(history)]]),
            },
            KEEP,
          );
          post({ type: 'checkpoint-saved', step: position.step, where: store.describe(name) });
        },
        onMetrics: (m) => {
          history.push(m);
          if (m.kind === 'train') {
            this.step = m.step;
            seconds.push(m.seconds);
          }
          const recent = seconds.slice(-10);
          const eta =
            ((s.steps - this.step) * recent.reduce((a, b) => a + b, 0)) / Math.max(recent.length, 1);
          post({
            type: 'train-point',
            point: pointOf(m),
            steps: s.steps,
            etaSeconds: m.kind === 'train' ? eta : undefined,
          });
          post({ type: 'memory', ...memoryInUse() });
        },
        signal: this.abort.signal,
      });
      this.trained = true;
      const stopped = result.stoppedBy === 'abort' || this.abort.signal.aborted;
      const why = stopped
        ? 'stopped'
        : { steps: 'finished', data: 'the data ran out', abort: 'stopped' }[result.stoppedBy];
      post({
        type: 'train-state',
        state: stopped ? 'stopped' : 'done',
        step: result.step,
        message: `${why} at step ${result.step} of ${s.steps} (checkpoint saved in OPFS)`,
      });
    } finally {
      this.running = false;
      this.paused?.release();
      this.paused = undefined;
      trainer.dispose();
      await batcher.close();
    }
  }

  /** A full-finetuning resume trains the checkpoint's weights (a LoRA one keeps the base model). */
  private async replaceWeights(checkpoint: StoredCheckpoint | undefined, s: TrainSettings) {
    if (!checkpoint || s.lora) return this.loaded.model;
    // A full checkpoint's files are a Hugging Face model directory.
    const next = t5FromCheckpoint(await loadCheckpointFromFiles(checkpoint.files, checkpoint.name));
    this.loaded.model.dispose();
    this.loaded.model = next;
    return next;
  }

  pause(): void {
    if (!this.running || this.paused) return;
    let release = () => {};
    const promise = new Promise<void>((resolve) => (release = resolve));
    this.paused = { promise, release };
    this.post({
      type: 'train-state',
      state: 'paused',
      step: this.step,
      message: `paused after step ${this.step}`,
    });
  }

  resume(): void {
    if (!this.paused) return;
    this.paused.release();
    this.paused = undefined;
    this.post({
      type: 'train-state',
      state: 'running',
      step: this.step,
      message: `running from step ${this.step}`,
    });
  }

  stop(): void {
    this.abort?.abort();
    this.paused?.release();
    this.paused = undefined;
  }
}
