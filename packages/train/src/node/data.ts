/** The run's data: a mixture config or a JSONL file as a resumable stream of micro-batches (Node). */
import { open } from 'node:fs/promises';
import type { AnyIdBatch } from '../batch';
import { Batcher, type BatcherState } from '../data/batcher';
import { batcherStream } from '../data/stream';
import { DataError } from '../data/errors';
import { checkReadable, idJsonlFile, textJsonlFile } from '../data/node';
import { mixtureExamples, type ExampleSource, type SourceState, type TextToExample } from '../data/sources';
import type { BatchStream } from '../loop';
import type { RunConfig } from '../run-config';

/** Which record shape a JSONL file holds, from its first non-blank line. */
async function jsonlKind(path: string): Promise<'text' | 'ids'> {
  await checkReadable(path);
  // The first non-blank line decides; the reader decodes and checks every line strictly later.
  const handle = await open(path, 'r');
  let head: string;
  try {
    const buffer = new Uint8Array(1 << 16);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    head = new TextDecoder().decode(buffer.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
  const first = head.split('\n').find((line) => line.trim() !== '');
  if (first === undefined) return 'text';
  try {
    const record = JSON.parse(first) as unknown;
    return record !== null && typeof record === 'object' && 'input_ids' in record ? 'ids' : 'text';
  } catch {
    return 'text'; // the reader reports the bad line with its number
  }
}

export interface DataOptions {
  /**
   * How texts become ids: a T5 tokenizer (inputs and targets each with eos) or an encoder for a
   * decoder-only model (`promptCompletionEncoder`, `chatEncoder`); undefined when the checkpoint has
   * no tokenizer (`tokenizerProblem` says why).
   */
  encoder: TextToExample | undefined;
  /** Counts tokens for the mixture's few-shot budget (the tokenizer). */
  tokenCounter: { countTokens(text: string): number } | undefined;
  tokenizerProblem?: string;
  /** The rows' layout (the model's architecture). Default encoder-decoder. */
  layout?: 'encoder-decoder' | 'decoder-only';
  /** Decoder-only rows: the model's pad id. */
  padId?: number;
  vocabSize: number;
  /** Passes over a JSONL file (training repeats it; held-out data is read once). */
  epochs: number;
  state?: SourceState;
  /** Invalid mixture records reported instead of silently dropped. */
  log: (line: string) => void;
}

/** An example source for `--data <file.jsonl>` or `--mixture <config.json>`. */
export async function exampleSource(
  spec: { data?: string; mixture?: string; seed: number },
  options: DataOptions,
): Promise<ExampleSource> {
  const needTokenizer = (what: string) => {
    if (options.encoder === undefined)
      throw new DataError(what, 0, `needs a tokenizer: ${options.tokenizerProblem}`);
    return options.encoder;
  };
  if (spec.data !== undefined) {
    const kind = await jsonlKind(spec.data);
    const common = { epochs: options.epochs, ...(options.state ? { state: options.state } : {}) };
    if (kind === 'ids') return idJsonlFile(spec.data, { ...common, vocabSize: options.vocabSize });
    return textJsonlFile(spec.data, needTokenizer(spec.data), common);
  }
  const path = spec.mixture!;
  const encoder = needTokenizer(path);
  const { loadMixtureConfig, resolveMixture, MixtureSampler } = await import('@flan-ts/templates/node');
  const config = loadMixtureConfig(path, { onInvalid: (error) => options.log(`skipped ${error.message}`) });
  const mixture = await resolveMixture(config.registry, config.mixture);
  const saved = options.state?.kind === 'mixture' ? (options.state.sampler as never) : undefined;
  const sampler = new MixtureSampler(mixture, {
    seed: spec.seed,
    ...(saved ? { state: saved } : {}),
    ...(config.shuffleBuffer !== undefined ? { shuffleBuffer: config.shuffleBuffer } : {}),
    ...(options.tokenCounter ? { tokenCounter: options.tokenCounter } : {}),
  });
  return mixtureExamples(sampler, encoder, path);
}

function layoutOf(options: Pick<DataOptions, 'layout' | 'padId'>) {
  return {
    ...(options.layout ? { layout: options.layout } : {}),
    ...(options.padId !== undefined ? { padId: options.padId } : {}),
  };
}

/** The micro-batch stream of a run (its state is the batcher's, saved in checkpoints). */
export async function trainingBatches(
  config: RunConfig,
  options: Omit<DataOptions, 'epochs' | 'state'> & { state?: BatcherState },
): Promise<{ stream: BatchStream; close: () => Promise<void> }> {
  const { state, ...rest } = options;
  const source = await exampleSource(
    { data: config.data, mixture: config.mixture, seed: config.seed },
    { ...rest, epochs: Infinity, ...(state ? { state: state.source } : {}) },
  );
  const batcher = new Batcher(source, {
    batchSize: config.batchSize,
    inputLength: config.inputLength,
    targetLength: config.targetLength,
    mode: config.pack ? 'pack' : 'pad',
    seed: config.seed,
    ...layoutOf(options),
    ...(state ? { state } : {}),
  });
  return { stream: batcherStream(batcher), close: () => batcher.close() };
}

/** The held-out data as padded batches, read once (its examples in file order). */
export async function heldOutBatches(
  path: string,
  config: RunConfig,
  options: Omit<DataOptions, 'epochs' | 'state'>,
): Promise<AnyIdBatch[]> {
  const source = await exampleSource({ data: path, seed: config.seed }, { ...options, epochs: 1 });
  const batcher = new Batcher(source, {
    batchSize: config.batchSize,
    inputLength: config.inputLength,
    targetLength: config.targetLength,
    mode: 'pad',
    seed: config.seed,
    ...layoutOf(options),
  });
  const out: AnyIdBatch[] = [];
  try {
    for await (const { batch } of batcher) out.push(batch);
  } finally {
    await batcher.close();
  }
  return out;
}
