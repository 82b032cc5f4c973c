/**
 * The batcher: an example source in, a stream of {@link IdBatch} out, padded (length-bucketed) or packed.
 * Its state — the source position plus the examples already read but not yet emitted — is plain JSON and is
 * part of a checkpoint: a batcher created from it (over the source restored from `state.source`) emits
 * exactly the batches an uninterrupted run would have.
 */
import type { AnyIdBatch } from '../batch';
import { bucketByLength } from './buckets';
import { fitsCausalRow, packedCausalBatch, padCausalBatch } from './causal';
import { DataError } from './errors';
import { featureLengths, trimExample, type Example, type FeatureLengths } from './example';
import { batchMetrics, type BatchMetrics } from './metrics';
import { fitsRow, packedBatch } from './pack';
import { padBatch, type PadOptions } from './pad';
import type { ExampleSource, SourceState } from './sources';

export interface BatcherOptions extends Partial<FeatureLengths>, PadOptions {
  /** Rows per batch. */
  batchSize: number;
  /** `'pad'` (default): one example per row, bucketed by length. `'pack'`: seqio packing, rows of full length. */
  mode?: 'pad' | 'pack';
  /** Seeds the length buckets. Default 0. */
  seed?: number;
  /** Padding mode: batches per bucketing window (the window holds `batchSize × windowBatches` examples). Default 8. */
  windowBatches?: number;
  /** Drop a last batch with fewer than `batchSize` rows (finite sources). Default false. */
  dropRemainder?: boolean;
  /** Resume from a saved {@link Batcher.state} (the source must be restored from `state.source`). */
  state?: BatcherState;
  /**
   * The rows' layout: `'encoder-decoder'` (default, T5: {@link IdBatch}) or `'decoder-only'`
   * (Llama, Qwen3: {@link CausalIdBatch}, `inputs ++ targets` in one row of `inputLength +
   * targetLength`, the loss on the targets).
   */
  layout?: 'encoder-decoder' | 'decoder-only';
  /** Decoder-only rows: the id padding positions hold (the model's pad id). Default 0. */
  padId?: number;
}

/** The batcher's position, JSON. */
export interface BatcherState {
  mode: 'pad' | 'pack';
  seed: number;
  source: SourceState;
  /** Padding mode: windows bucketed so far. */
  window: number;
  /** Padding mode: batches of the current window not yet emitted. Packing mode: closed rows not yet emitted. */
  queue: Example[][];
  /** Packing mode: segments of the row being filled. */
  open: Example[];
  /** The source is exhausted. */
  ended: boolean;
}

/** One batch and what it holds. */
export interface DataBatch {
  batch: AnyIdBatch;
  metrics: BatchMetrics;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export class Batcher implements AsyncIterable<DataBatch> {
  readonly lengths: FeatureLengths;
  readonly batchSize: number;
  readonly mode: 'pad' | 'pack';
  readonly seed: number;
  private readonly windowBatches: number;
  private window: number;
  private queue: Example[][];
  private open: Example[];
  private ended: boolean;

  constructor(
    readonly source: ExampleSource,
    private readonly options: BatcherOptions,
  ) {
    this.lengths = featureLengths({
      ...(options.inputLength !== undefined ? { inputLength: options.inputLength } : {}),
      ...(options.targetLength !== undefined ? { targetLength: options.targetLength } : {}),
    });
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1)
      throw new RangeError(`batchSize must be a positive integer, got ${options.batchSize}`);
    this.batchSize = options.batchSize;
    this.windowBatches = options.windowBatches ?? 8;
    if (!Number.isInteger(this.windowBatches) || this.windowBatches < 1)
      throw new RangeError(`windowBatches must be a positive integer, got ${this.windowBatches}`);
    const state = options.state;
    this.mode = state?.mode ?? options.mode ?? 'pad';
    this.seed = (state?.seed ?? options.seed ?? 0) >>> 0;
    if (state) {
      if (options.mode !== undefined && options.mode !== state.mode)
        throw new DataError(
          source.name,
          0,
          `saved batcher state is in ${state.mode} mode, not ${options.mode}`,
        );
      // A batcher resumed over a source at another position would replay or skip examples.
      if (!sameJson(source.state(), state.source))
        throw new DataError(
          source.name,
          0,
          'the source is not at the saved position (restore it from state.source)',
        );
    }
    this.window = state?.window ?? 0;
    this.queue = state ? structuredClone(state.queue) : [];
    this.open = state ? structuredClone(state.open) : [];
    this.ended = state?.ended ?? false;
  }

  /** The position to save with a checkpoint. */
  state(): BatcherState {
    return {
      mode: this.mode,
      seed: this.seed,
      source: this.source.state(),
      window: this.window,
      queue: structuredClone(this.queue),
      open: structuredClone(this.open),
      ended: this.ended,
    };
  }

  private async pull(): Promise<Example | undefined> {
    if (this.ended) return undefined;
    const example = await this.source.next();
    if (example === undefined) {
      this.ended = true;
      return undefined;
    }
    return trimExample(example, this.lengths);
  }

  private async nextRows(): Promise<Example[][] | undefined> {
    if (this.mode === 'pack') {
      while (this.queue.length < this.batchSize && !this.ended) {
        const example = await this.pull();
        if (example === undefined) {
          if (this.open.length > 0) this.queue.push(this.open);
          this.open = [];
          break;
        }
        const fits = this.options.layout === 'decoder-only' ? fitsCausalRow : fitsRow;
        if (this.open.length > 0 && !fits(this.open, example, this.lengths)) {
          this.queue.push(this.open);
          this.open = [];
        }
        this.open.push(example);
      }
      return this.queue.length > 0 ? this.queue.splice(0, this.batchSize) : undefined;
    }
    while (this.queue.length === 0) {
      const window: Example[] = [];
      while (window.length < this.batchSize * this.windowBatches) {
        const example = await this.pull();
        if (example === undefined) break;
        window.push(example);
      }
      if (window.length === 0) return undefined;
      this.queue = bucketByLength(window, this.batchSize, this.seed, this.window);
      // Only the last window can hold a short batch; shuffled, it may sit anywhere in the queue.
      if (this.options.dropRemainder) this.queue = this.queue.filter((b) => b.length === this.batchSize);
      this.window++;
    }
    return this.queue.shift()!.map((e) => [e]);
  }

  /** The next batch; `undefined` once a finite source is exhausted. */
  async next(): Promise<DataBatch | undefined> {
    const rows = await this.nextRows();
    if (rows === undefined) return undefined;
    if (this.mode === 'pack' && rows.length < this.batchSize && this.options.dropRemainder) {
      this.queue = [];
      return undefined;
    }
    const batch = this.layOut(rows);
    const examples = rows.reduce((n, r) => n + r.length, 0);
    return { batch, metrics: batchMetrics(batch, examples) };
  }

  private layOut(rows: Example[][]): AnyIdBatch {
    const single = () => rows.map((r) => r[0]!);
    if (this.options.layout === 'decoder-only') {
      const padId = this.options.padId ?? 0;
      return this.mode === 'pack'
        ? packedCausalBatch(rows, this.lengths, padId)
        : padCausalBatch(single(), this.lengths, padId, this.options);
    }
    return this.mode === 'pack'
      ? packedBatch(rows, this.lengths)
      : padBatch(single(), this.lengths, this.options);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<DataBatch> {
    for (;;) {
      const next = await this.next();
      if (next === undefined) return;
      yield next;
    }
  }

  /** Closes the source. */
  async close(): Promise<void> {
    await this.source.close();
  }
}
