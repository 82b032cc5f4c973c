/**
 * A finetuning run in the worker, composed from @flan-ts/train's browser-safe parts: the Trainer and
 * `fit` loop, the Batcher over the data's sampler, the held-out loss, LoRA, and checkpoints saved
 * through an `OpfsCheckpointStore`, so a reload resumes from the newest one at the same data position.
 * Pausing holds the loop before its next micro-batch; stopping aborts it after the current step (a
 * checkpoint is written).
 */
import { loadAnyCheckpointFromFiles, modelFromCheckpoint } from '@flan-ts/models';
import { fnv1a } from '@flan-ts/eval';
import {
  Batcher,
  batcherStream,
  checkpointSaver,
  checkpointToResume,
  fit,
  heldOutLoss,
  loraAdapterFileMap,
  loraForRun,
  mixtureExamples,
  modelFiles,
  promptCompletionEncoder,
  newestCheckpoint,
  OpfsCheckpointStore,
  readStoredCheckpoint,
  restoreOptimizer,
  takeExamples,
  Trainer,
  type AnyIdBatch,
  type BatcherState,
  type LoraAdapter,
  type RunMetrics,
  type StoredCheckpoint,
  type TextToExample,
  type TrainableModel,
} from '@flan-ts/train';
import type { SamplerState } from '@flan-ts/templates';
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
  const { text, flan, ...data } = spec;
  // The texts enter the run's config as hashes: a resume checks them without storing them twice.
  const family = flan && {
    ...flan,
    templates: { name: flan.templates.name, hash: fnv1a(flan.templates.text) },
  };
  return JSON.parse(JSON.stringify({ ...s, data: { ...data, flan: family, hash: fnv1a(text) } })) as Record<
    string,
    unknown
  >;
}

/** Settings a resume may change: the run can be extended, and how often it saves or evaluates. */
const RESUMABLE = ['steps', 'saveEvery', 'evalEvery'];

/** How the model's examples become ids: T5's inputs and targets with eos, or prompt ++ completion. */
function encoderOf(loaded: Loaded): TextToExample {
  return loaded.architecture === 't5'
    ? loaded.tokenizer
    : promptCompletionEncoder(loaded.tokenizer, loaded.model.eosTokenId);
}

/** The batcher's row layout for the model. */
function layoutOf(loaded: Loaded) {
  return loaded.architecture === 't5'
    ? {}
    : { layout: 'decoder-only' as const, padId: loaded.model.padTokenId };
}

/** The held-out examples, each once, as padded batches. */
async function heldOutBatches(data: PreparedData, loaded: Loaded, s: TrainSettings): Promise<AnyIdBatch[]> {
  if (!data.heldOut) return [];
  const all = mixtureExamples(sampler(data.heldOut, s.seed), encoderOf(loaded));
  const batcher = new Batcher(takeExamples(all, data.heldOutRecords), {
    ...layoutOf(loaded),
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
    // Starting anew replaces this browser's run (one per origin).
    const checkpoint = await checkpointToResume(store, {
      resume,
      config,
      resumable: RESUMABLE,
      replace: true,
      where: 'this browser',
    });
    const model = await this.replaceWeights(checkpoint, s);
    this.adapter?.dispose();
    this.adapter = s.lora
      ? loraForRun(
          model,
          {
            r: s.lora.r,
            alpha: s.lora.alpha,
            // None given: PEFT's default for the architecture (q, v for T5; q_proj, v_proj for Llama).
            ...(s.lora.targetModules.length > 0 ? { targetModules: s.lora.targetModules } : {}),
          },
          s.seed,
          checkpoint,
          store,
        )
      : undefined;

    const data = await prepareData(spec);
    const saved = checkpoint?.state.data as BatcherState | undefined;
    const samplerState = (saved?.source as { sampler?: SamplerState } | undefined)?.sampler;
    const source = mixtureExamples(sampler(data.train, s.seed, samplerState), encoderOf(this.loaded));
    const batcher = new Batcher(source, {
      ...layoutOf(this.loaded),
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
    if (checkpoint) restoreOptimizer(trainer, checkpoint, store);
    const stream = batcherStream(batcher, async () => {
      await this.paused?.promise;
      // Stopped while paused: end before drawing another micro-batch.
      return !this.abort?.signal.aborted;
    });

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
    const save = checkpointSaver({
      store,
      trainer,
      model,
      ...(this.adapter ? { adapter: this.adapter } : {}),
      config,
      seed: s.seed,
      keep: KEEP,
      // The curve so far travels with the checkpoint, so a resumed page redraws it.
      extraFiles: () => new Map([...this.loaded.tokenizerFiles, [METRICS_FILE, metricsFile(history)]]),
    });
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
          const name = await save(position);
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
  private async replaceWeights(
    checkpoint: StoredCheckpoint | undefined,
    s: TrainSettings,
  ): Promise<TrainableModel> {
    if (!checkpoint || s.lora) return this.loaded.model;
    // A full checkpoint's files are a Hugging Face model directory.
    const next = modelFromCheckpoint(await loadAnyCheckpointFromFiles(checkpoint.files, checkpoint.name));
    if (next.architecture !== this.loaded.architecture) {
      next.model.dispose();
      throw new Error(
        `${checkpoint.name}: a ${next.architecture} checkpoint, not this ${this.loaded.architecture} model`,
      );
    }
    this.loaded.model.dispose();
    this.loaded.model = next.model;
    return next.model;
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
