/**
 * `runTraining`: a whole finetuning run in Node, as `flan train` runs it. Loads the model and its
 * tokenizer, builds the data stream, trains with checkpoints, metrics and a held-out loss, writes the
 * HTML report and the final model (or adapter) into `out`, and resumes exactly from the newest
 * checkpoint. Every check that can fail on bad input (flags, files, vocabularies, an unwritable `out`)
 * runs before the first step.
 */
import { appendFile, copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { loadPretrainedModel } from '@flan-ts/hub/node';
import type { TokenizerConfig } from '@flan-ts/tokenizer';
import { initNodeBackend, releaseWebGpu, saveCausalLM, saveT5, writeFileAtomic } from '@flan-ts/models/node';
import * as tf from '@tensorflow/tfjs-core';
import { isCausalIdBatch, type AnyIdBatch } from '../batch';
import type { StoredCheckpoint } from '../checkpoint/contents';
import { DirectoryCheckpointStore } from '../checkpoint/directory-store';
import {
  checkpointSaver,
  checkpointToResume,
  loraForRun,
  restoreOptimizer,
  ResumeError,
} from '../checkpoint/resume';
import type { TrainerState } from '../checkpoint/state';
import type { BatcherState } from '../data/batcher';
import { chatEncoder, promptCompletionEncoder } from '../data/encoders';
import type { TextToExample } from '../data/sources';
import { huggingFaceTrainScript } from '../export/hf-script';
import { heldOutLoss } from '../held-out';
import { fit, type BatchStream, type FitProgress, type FitResult } from '../loop';
import type { LoraAdapter } from '../lora/adapter';
import { saveLoraAdapter } from '../lora/node';
import { isDecoderOnly, type TrainableModel } from '../model';
import type { OptimizerConfig, ScheduleConfig } from '../optim/index';
import { renderTrainingReport } from '../report/html';
import type { RunMetrics } from '../report/metrics';
import { RESUMABLE_CHANGES, RunConfigError, validateRunConfig, type RunConfig } from '../run-config';
import { Trainer } from '../trainer';
import { heldOutBatches, trainingBatches } from './data';

export interface RunOptions {
  /** Continue from the newest checkpoint in `out` (its configuration must match). */
  resume?: boolean;
  /** Aborting stops after the current step and writes a checkpoint. */
  signal?: AbortSignal;
  onProgress?: (progress: FitProgress) => void;
  /** Messages for the user (one line each). */
  log?: (line: string) => void;
}

export interface RunResult extends FitResult {
  /** Where the final model (or adapter), metrics and report are, in words. */
  summary: string;
}

const MODEL_FILES = ['model.safetensors', 'adapter_model.safetensors'];

function optimizerConfig(c: RunConfig): OptimizerConfig {
  if (c.optimizer === 'adamw') {
    return { name: 'adamw', learningRate: c.learningRate, weightDecay: c.weightDecay };
  }
  if (c.optimizer === 'adafactor')
    return { name: 'adafactor', learningRate: c.learningRate, weightDecay: c.weightDecay };
  return { name: 'adafactor-t5x', learningRate: c.learningRate };
}

function scheduleConfig(c: RunConfig): ScheduleConfig {
  switch (c.schedule) {
    case 'constant':
      return c.warmup > 0 ? { name: 'linear-warmup', warmupSteps: c.warmup } : { name: 'constant' };
    case 'linear':
      return { name: 'linear', warmupSteps: c.warmup, totalSteps: c.steps };
    case 'cosine':
      return { name: 'cosine', warmupSteps: c.warmup, totalSteps: c.steps };
    case 'rsqrt':
      return { name: 'rsqrt', warmupSteps: Math.max(c.warmup, 1) };
  }
}

/** Bytes in use: the WASM heap on wasm (what runs out first), tfjs's tensor bytes elsewhere. */
function memoryBytes(): number {
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8?.buffer
    .byteLength;
  return heap ?? tf.memory().numBytes;
}

/** The settings a checkpoint records and a resume compares (paths resolved, so `cd` does not matter). */
function recordedConfig(c: RunConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { ...c };
  for (const key of ['model', 'mixture', 'data', 'out', 'evalData', 'metrics', 'exportHf'] as const) {
    const v = c[key];
    if (typeof v === 'string' && (key !== 'model' || !/^[\w.-]+\/[\w.-]+$/.test(v))) out[key] = resolve(v);
  }
  return JSON.parse(JSON.stringify(out)) as Record<string, unknown>;
}

/** Fails early when `out` cannot be written (before any model time is spent). */
async function checkWritable(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    const probe = join(dir, `.write-test-${process.pid}`);
    await writeFile(probe, '');
    await rm(probe);
  } catch (error) {
    throw new RunConfigError(
      `cannot write ${dir} (${(error as NodeJS.ErrnoException).code ?? error})`,
      '--out',
    );
  }
}

interface ExportedExample {
  input_ids: number[];
  target_ids: number[];
}

/** The examples of a batch as they were trained: rows (or packed segments) without padding. */
function batchExamples(batch: AnyIdBatch): ExportedExample[] {
  if (isCausalIdBatch(batch)) throw new Error('--export-hf: decoder-only batches are not exported');
  const out: ExportedExample[] = [];
  batch.input_ids.forEach((row, r) => {
    const labels = batch.labels[r]!;
    const encSeg = batch.encoder_segment_ids?.[r];
    const decSeg = batch.decoder_segment_ids?.[r];
    if (encSeg === undefined || decSeg === undefined) {
      out.push({
        input_ids: row.filter((_, i) => batch.attention_mask[r]![i] === 1),
        target_ids: labels.filter((l) => l !== -100),
      });
      return;
    }
    const segments = Math.max(0, ...encSeg);
    for (let s = 1; s <= segments; s++) {
      out.push({
        input_ids: row.filter((_, i) => encSeg[i] === s),
        target_ids: labels.filter((l, i) => decSeg[i] === s && l !== -100),
      });
    }
  });
  return out;
}

/** Writes the model (or adapter) and the tokenizer files into `dir` (it must exist). */
async function writeModelFiles(
  dir: string,
  model: TrainableModel,
  adapter: LoraAdapter | undefined,
  copyFiles: readonly string[],
): Promise<void> {
  if (adapter !== undefined) await saveLoraAdapter(adapter, dir);
  else if (isDecoderOnly(model)) await saveCausalLM(model, dir);
  else await saveT5(model, dir);
  for (const file of copyFiles) await copyFile(file, join(dir, basename(file)));
}

/** Settings that exist for one architecture only fail before any step, naming the flag. */
function checkArchitectureFlags(config: RunConfig, decoderOnly: boolean): void {
  if (decoderOnly) {
    if (config.dropout !== undefined)
      throw new RunConfigError('decoder-only models are trained without dropout here', '--dropout');
    if (config.recompute)
      throw new RunConfigError('not available for decoder-only models yet', '--recompute');
    if (config.exportHf !== undefined)
      throw new RunConfigError('writes a Seq2SeqTrainer script: T5 models only', '--export-hf');
  } else if (config.chatTemplate) {
    throw new RunConfigError(
      'chat templates are for decoder-only models; T5 trains on inputs/targets',
      '--chat-template',
    );
  }
}

/** The chat template of the model's `tokenizer_config.json`, or an error naming the flag. */
async function chatTemplateOf(tokenizerConfig: TokenizerConfig | undefined, model: string) {
  const { ChatTemplate } = await import('@flan-ts/tokenizer');
  if (tokenizerConfig?.chatTemplate === undefined)
    throw new RunConfigError(`${model} has no chat_template in tokenizer_config.json`, '--chat-template');
  return ChatTemplate.fromConfig(tokenizerConfig);
}

/** Runs (or resumes) a training run; see the module comment. */
export async function runTraining(input: RunConfig, options: RunOptions = {}): Promise<RunResult> {
  const config = validateRunConfig(input);
  const log = options.log ?? (() => {});
  const out = config.out;
  await checkWritable(out);
  const store = new DirectoryCheckpointStore(out);
  let checkpoint: StoredCheckpoint | undefined;
  try {
    checkpoint = await checkpointToResume(store, {
      resume: options.resume === true,
      config: recordedConfig(config),
      resumable: RESUMABLE_CHANGES,
      where: out,
      hint: 'pass --resume to continue that run, or choose another --out',
    });
  } catch (error) {
    if (error instanceof ResumeError) throw new RunConfigError(error.message, `--${error.option}`);
    throw error;
  }
  const resumeFrom = checkpoint !== undefined ? store.describe(checkpoint.name) : undefined;
  const saved: TrainerState | undefined = checkpoint?.state;

  tf.env().set('PROD', true);
  await initNodeBackend(config.backend);
  // A full-finetuning resume loads the checkpoint's weights; a LoRA one, the base model plus its adapter.
  const weightsFrom = resumeFrom !== undefined && config.lora === undefined ? resumeFrom : config.model;
  const pretrained = await loadPretrainedModel(weightsFrom, {
    config: config.dropout !== undefined ? { dropoutRate: config.dropout } : {},
  });
  const { model, tokenizer } = pretrained;
  const decoderOnly = pretrained.architecture === 'causal';
  const closers: (() => Promise<void> | void)[] = [() => model.dispose()];
  if (config.backend === 'webgpu') closers.push(() => releaseWebGpu());
  try {
    checkArchitectureFlags(config, decoderOnly);
    if (tokenizer !== undefined && tokenizer.vocabSize > model.vocabSize) {
      throw new RunConfigError(
        `the tokenizer has ${tokenizer.vocabSize} tokens, more than the model's vocabulary of ${model.vocabSize}`,
        '--model',
      );
    }
    const tokenizerFiles = Object.entries(pretrained.files.tokenizer)
      .filter(([, path]) => path !== undefined && !/^https?:/.test(path))
      .map(([, path]) => path!);
    // Kept in every checkpoint, so each loads on its own (read once: they do not change).
    const tokenizerBytes = new Map<string, Uint8Array>();
    for (const file of tokenizerFiles)
      tokenizerBytes.set(basename(file), new Uint8Array(await readFile(file)));

    let adapter: LoraAdapter | undefined;
    if (config.lora !== undefined) {
      adapter = loraForRun(
        model,
        { ...config.lora, baseModelNameOrPath: config.model },
        config.seed,
        checkpoint,
        store,
      );
      closers.unshift(() => adapter!.dispose());
    }

    let encoder: TextToExample | undefined;
    if (pretrained.architecture === 't5') encoder = pretrained.tokenizer;
    else if (pretrained.tokenizer !== undefined) {
      encoder = config.chatTemplate
        ? chatEncoder(pretrained.tokenizer, await chatTemplateOf(pretrained.tokenizer.config, config.model))
        : promptCompletionEncoder(pretrained.tokenizer, pretrained.model.eosTokenId);
    }
    const dataOptions = {
      encoder,
      tokenCounter: tokenizer,
      tokenizerProblem: pretrained.tokenizerProblem,
      vocabSize: model.vocabSize,
      ...(decoderOnly ? { layout: 'decoder-only' as const, padId: model.padTokenId } : {}),
      log,
    };
    const evalBatches =
      config.evalData !== undefined ? await heldOutBatches(config.evalData, config, dataOptions) : undefined;
    const data = await trainingBatches(config, {
      ...dataOptions,
      ...(saved ? { state: saved.data as BatcherState } : {}),
    });
    closers.unshift(() => data.close());

    const trainer = new Trainer(model, {
      optimizer: optimizerConfig(config),
      schedule: scheduleConfig(config),
      ...(config.clipNorm > 0 ? { clipNorm: config.clipNorm } : {}),
      seed: config.seed,
      ...(config.recompute ? { recompute: true } : {}),
      ...(adapter ? { trainable: adapter.variables() } : {}),
    });
    closers.unshift(() => trainer.dispose());
    if (checkpoint !== undefined) {
      restoreOptimizer(trainer, checkpoint, store);
      log(`resuming ${out} at step ${saved!.step} (${saved!.examplesSeen} examples seen)`);
    }

    const metricsPath = config.metrics ?? join(out, 'metrics.jsonl');
    // Created with the first record, so a run that fails before its first step leaves no metrics file.
    let metricsStarted = resumeFrom !== undefined;
    const history: RunMetrics[] = [];
    const exportFile = config.exportHf !== undefined ? join(config.exportHf, 'train.jsonl') : undefined;
    if (exportFile !== undefined) {
      await mkdir(config.exportHf!, { recursive: true });
      if (resumeFrom === undefined) await writeFile(exportFile, '');
    }
    // Every micro-batch the loop draws is trained on (a step draws its micro-batches, then runs).
    const stream: BatchStream = exportFile
      ? {
          async next() {
            const m = await data.stream.next();
            if (m !== undefined) {
              // The texts for reading, the ids for training exactly what we trained (the script prefers them).
              const lines = batchExamples(m.batch).map((e) => {
                const texts =
                  tokenizer !== undefined
                    ? {
                        inputs: tokenizer.decode(e.input_ids, { skipSpecialTokens: true }),
                        targets: tokenizer.decode(e.target_ids, { skipSpecialTokens: true }),
                      }
                    : {};
                return JSON.stringify({ ...texts, ...e }) + '\n';
              });
              await appendFile(exportFile, lines.join(''));
            }
            return m;
          },
          state: () => data.stream.state(),
        }
      : data.stream;

    const recorded = recordedConfig(config);
    const save = checkpointSaver({
      store,
      trainer,
      model,
      ...(adapter ? { adapter } : {}),
      config: recorded,
      seed: config.seed,
      keep: config.keep,
      extraFiles: () => tokenizerBytes,
    });
    const result = await fit(trainer, stream, {
      steps: config.steps,
      gradAccum: config.gradAccum,
      examplesSeen: saved?.examplesSeen ?? 0,
      memoryBytes,
      ...(config.evalEvery !== undefined ? { evalEvery: config.evalEvery } : {}),
      ...(evalBatches ? { evaluate: () => heldOutLoss(model, evalBatches) } : {}),
      ...(config.saveEvery !== undefined ? { saveEvery: config.saveEvery } : {}),
      save: async (position) => {
        await save(position);
        await store.sweep();
      },
      onMetrics: async (m) => {
        history.push(m);
        if (!metricsStarted) await writeFile(metricsPath, '');
        metricsStarted = true;
        await appendFile(metricsPath, JSON.stringify(m) + '\n');
        if (m.kind === 'eval') log(`step ${m.step}: held-out loss ${m.eval_loss.toFixed(4)}`);
      },
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });

    // The final model lands in `out` itself, where `flan generate --model <out>` loads it.
    if (result.stoppedBy !== 'abort') {
      for (const name of MODEL_FILES) await rm(join(out, name), { force: true });
      await writeModelFiles(out, model, adapter, tokenizerFiles);
    }
    const allMetrics = resumeFrom === undefined ? history : await readMetrics(metricsPath, history);
    const report = await renderTrainingReport(allMetrics, {
      title: `flan train: ${config.model}`,
      config: recorded,
    });
    await writeFileAtomic(join(out, 'report.html'), (h) => h.writeFile(report, 'utf8'));
    if (config.exportHf !== undefined) {
      const script = huggingFaceTrainScript({
        model: config.model,
        dataFile: 'train.jsonl',
        steps: config.steps,
        batchSize: config.batchSize,
        gradAccum: config.gradAccum,
        inputLength: config.inputLength,
        targetLength: config.targetLength,
        optimizer: config.optimizer,
        learningRate: config.learningRate,
        schedule: config.schedule,
        warmup: config.warmup,
        weightDecay: config.weightDecay,
        clipNorm: config.clipNorm,
        ...(config.dropout !== undefined ? { dropout: config.dropout } : {}),
        seed: config.seed,
        ...(config.lora
          ? { lora: { ...config.lora, targetModules: config.lora.targetModules ?? ['q', 'v'] } }
          : {}),
        packed: config.pack,
      });
      await writeFileAtomic(join(config.exportHf, 'train_hf.py'), (h) => h.writeFile(script, 'utf8'));
    }
    const what = adapter ? 'LoRA adapter' : 'model';
    const summary =
      result.stoppedBy === 'abort'
        ? `checkpoint in ${join(out, `checkpoint-${result.step}`)} (continue with --resume)`
        : `${what} in ${out}, metrics in ${metricsPath}, report in ${join(out, 'report.html')}`;
    return { ...result, summary };
  } finally {
    for (const close of closers) await close();
  }
}

/** Every metrics record of a resumed run's file (the earlier part of the run included). */
async function readMetrics(path: string, fallback: RunMetrics[]): Promise<RunMetrics[]> {
  try {
    const text = await readFile(path, 'utf8');
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as RunMetrics);
  } catch {
    return fallback;
  }
}
