/**
 * One task's examples as an endless, resumable stream: each epoch re-opens the source, preprocesses,
 * and shuffles through a seeded buffer (seqio-style, never the whole dataset in memory).
 *
 * The cursor carries the shuffle buffer, the shuffle generator's state and how many source records the
 * epoch has read, so a resumed stream continues exactly: it skips the records already read (without
 * preprocessing them) and carries on with the saved buffer, instead of replaying the epoch. A cursor
 * without them (`{epoch, offset}` only, as older states) is resumed by replaying `offset` examples.
 */
import { ConfigError } from '../errors';
import type { SourceRecord } from '../data/source';
import { deriveRng, rngFromState, type Rng } from '../rng';
import { preprocess, type TaskDefinition } from '../tasks/task';
import type { Fields } from '../templates/template';

export interface StreamedExample {
  fields: Fields;
  /** "source:line", the record's identity. */
  key: string;
}

export interface TaskCursor {
  epoch: number;
  /** Examples already taken from this epoch. */
  offset: number;
  /** Source records read this epoch (filtered ones included). */
  read?: number;
  /** Examples read but not yet taken (the shuffle buffer), in buffer order. */
  buffer?: StreamedExample[];
  /** The shuffle generator's state. */
  rng?: [number, number, number, number];
  /** The source has no more records this epoch (the buffer is draining). */
  exhausted?: boolean;
}

export class TaskStream {
  private records: AsyncIterator<SourceRecord> | undefined;
  private epoch: number;
  private offset: number;
  private read = 0;
  private buffer: StreamedExample[] = [];
  private rng: Rng;
  private exhausted = false;
  /** Records to skip after opening (resuming an epoch). */
  private skip = 0;
  /** Examples to replay after opening (resuming from a cursor without a buffer). */
  private replay = 0;

  constructor(
    readonly task: TaskDefinition,
    private readonly seed: number,
    private readonly bufferSize: number,
    start: TaskCursor = { epoch: 0, offset: 0 },
  ) {
    this.epoch = start.epoch;
    this.offset = start.offset;
    this.rng = this.epochRng();
    if (start.read !== undefined) {
      this.read = start.read;
      this.skip = start.read;
      this.buffer = structuredClone(start.buffer ?? []);
      if (start.rng) this.rng = rngFromState(start.rng);
      this.exhausted = start.exhausted ?? false;
    } else {
      this.replay = start.offset;
      this.offset = 0;
    }
  }

  private epochRng(): Rng {
    return deriveRng(this.seed, 'shuffle', this.task.name, this.epoch);
  }

  get position(): TaskCursor {
    return {
      epoch: this.epoch,
      offset: this.offset,
      read: this.read,
      buffer: structuredClone(this.buffer),
      rng: this.rng.state(),
      exhausted: this.exhausted,
    };
  }

  /** The next preprocessed record of the source, or undefined at the end of the epoch. */
  private async pull(): Promise<StreamedExample | undefined> {
    if (this.exhausted) return undefined;
    if (!this.records) {
      this.records = this.task.source.open()[Symbol.asyncIterator]();
      for (; this.skip > 0; this.skip--) {
        if ((await this.records.next()).done)
          throw new ConfigError(
            `task "${this.task.name}": cannot resume after record ${this.read}, the source is shorter`,
          );
      }
    }
    for (;;) {
      const step = await this.records.next();
      if (step.done) {
        this.exhausted = true;
        this.records = undefined;
        return undefined;
      }
      this.read++;
      const fields = preprocess(this.task, step.value.value);
      if (fields !== null) return { fields, key: `${step.value.source}:${step.value.line}` };
    }
  }

  /** One step of the seeded shuffle buffer (the same order as a generator over the whole epoch). */
  private async take(): Promise<StreamedExample | undefined> {
    if (this.bufferSize <= 1) return this.pull();
    while (this.buffer.length < this.bufferSize && !this.exhausted) {
      const example = await this.pull();
      if (example) this.buffer.push(example);
    }
    if (!this.exhausted) {
      const incoming = await this.pull();
      if (incoming) {
        const j = this.rng.int(this.bufferSize);
        const out = this.buffer[j]!;
        this.buffer[j] = incoming;
        return out;
      }
    }
    if (this.buffer.length === 0) return undefined;
    const j = this.rng.int(this.buffer.length);
    const out = this.buffer[j]!;
    this.buffer[j] = this.buffer[this.buffer.length - 1]!;
    this.buffer.pop();
    return out;
  }

  private async nextInEpoch(): Promise<StreamedExample | undefined> {
    for (; this.replay > 0; this.replay--) {
      if ((await this.take()) === undefined)
        throw new ConfigError(
          `task "${this.task.name}": cannot resume at offset ${this.offset + this.replay}, the source has only ${this.offset} examples`,
        );
      this.offset++;
    }
    const example = await this.take();
    if (example) this.offset++;
    return example;
  }

  async next(): Promise<StreamedExample> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const example = await this.nextInEpoch();
      if (example) return example;
      if (this.offset === 0) break;
      this.epoch++;
      this.offset = 0;
      this.read = 0;
      this.skip = 0;
      this.buffer = [];
      this.exhausted = false;
      this.rng = this.epochRng();
    }
    throw new ConfigError(`task "${this.task.name}" has no examples (source ${this.task.source.name})`);
  }

  /** Stops reading the source (closes an open file). */
  async close(): Promise<void> {
    await this.records?.return?.();
    this.records = undefined;
    // A stream closed mid-epoch resumes by skipping what it had read.
    this.skip = this.exhausted ? 0 : this.read;
  }
}
