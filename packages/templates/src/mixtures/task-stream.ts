/**
 * One task's examples as an endless, resumable stream: each epoch re-opens the source, preprocesses,
 * and shuffles through a seeded buffer (seqio-style, never the whole dataset in memory). The cursor
 * `{epoch, offset}` is enough to resume: replaying `offset` examples of that epoch reproduces the
 * buffer exactly.
 */
import { ConfigError } from '../errors';
import { deriveRng } from '../rng';
import { preprocess, type TaskDefinition } from '../tasks/task';
import type { Fields } from '../templates/template';

export interface TaskCursor {
  epoch: number;
  /** Examples already taken from this epoch. */
  offset: number;
}

export interface StreamedExample {
  fields: Fields;
  /** "source:line", the record's identity. */
  key: string;
}

async function* preprocessed(task: TaskDefinition): AsyncGenerator<StreamedExample> {
  for await (const record of task.source.open()) {
    const fields = preprocess(task, record.value);
    if (fields !== null) yield { fields, key: `${record.source}:${record.line}` };
  }
}

async function* shuffled(task: TaskDefinition, seed: number, epoch: number, bufferSize: number) {
  if (bufferSize <= 1) {
    yield* preprocessed(task);
    return;
  }
  const rng = deriveRng(seed, 'shuffle', task.name, epoch);
  const buffer: StreamedExample[] = [];
  for await (const example of preprocessed(task)) {
    if (buffer.length < bufferSize) {
      buffer.push(example);
      continue;
    }
    const j = rng.int(bufferSize);
    yield buffer[j]!;
    buffer[j] = example;
  }
  while (buffer.length > 0) {
    const j = rng.int(buffer.length);
    yield buffer[j]!;
    buffer[j] = buffer[buffer.length - 1]!;
    buffer.pop();
  }
}

export class TaskStream {
  private iterator: AsyncIterator<StreamedExample> | undefined;
  private cursor: TaskCursor;

  constructor(
    readonly task: TaskDefinition,
    private readonly seed: number,
    private readonly bufferSize: number,
    start: TaskCursor = { epoch: 0, offset: 0 },
  ) {
    this.cursor = { ...start };
  }

  get position(): TaskCursor {
    return { ...this.cursor };
  }

  private async openEpoch(): Promise<AsyncIterator<StreamedExample>> {
    const iterator = shuffled(this.task, this.seed, this.cursor.epoch, this.bufferSize)[
      Symbol.asyncIterator
    ]();
    // Resuming mid-epoch: replay the examples already taken.
    for (let i = 0; i < this.cursor.offset; i++) {
      const step = await iterator.next();
      if (step.done)
        throw new ConfigError(
          `task "${this.task.name}": cannot resume at offset ${this.cursor.offset}, the source has only ${i} examples`,
        );
    }
    return iterator;
  }

  async next(): Promise<StreamedExample> {
    for (let attempt = 0; attempt < 2; attempt++) {
      this.iterator ??= await this.openEpoch();
      const step = await this.iterator.next();
      if (!step.done) {
        this.cursor.offset++;
        return step.value;
      }
      if (this.cursor.offset === 0) break;
      this.cursor = { epoch: this.cursor.epoch + 1, offset: 0 };
      this.iterator = undefined;
    }
    throw new ConfigError(`task "${this.task.name}" has no examples (source ${this.task.source.name})`);
  }

  /** Stops reading the source (closes an open file). */
  async close(): Promise<void> {
    await this.iterator?.return?.();
    this.iterator = undefined;
  }
}
