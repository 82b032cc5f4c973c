/**
 * A seeded shuffle buffer over any example source (tf.data's `shuffle(buffer_size)`, as seqio uses it):
 * the buffer fills, then each draw takes a random slot and refills it from the source. Composes with every
 * source; its state holds the inner source's position, the buffered examples and the generator's state,
 * so a resumed stream continues exactly.
 */
import { deriveRng, rngFromState, type Rng } from '@flan-ts/templates';
import { DataError } from './errors';
import type { Example } from './example';
import type { ExampleSource, SourceState } from './sources';

export interface ShuffleOptions {
  /** Examples held in the buffer (memory grows with it). */
  bufferSize: number;
  /** Default 0. */
  seed?: number;
  /** Resume from a saved `state()` (the inner source restored from `state.inner`). */
  state?: SourceState;
}

/** `source` through a seeded shuffle buffer. */
export function shuffleExamples(source: ExampleSource, options: ShuffleOptions): ExampleSource {
  const size = options.bufferSize;
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`bufferSize must be a positive integer, got ${size}`);
  const saved = options.state;
  if (saved !== undefined && saved.kind !== 'shuffle')
    throw new DataError(source.name, 0, `cannot resume a shuffle from a ${saved.kind} state`);
  const seed = (saved?.seed ?? options.seed ?? 0) >>> 0;
  const buffer: Example[] = saved ? structuredClone(saved.buffer) : [];
  const rng: Rng = saved ? rngFromState(saved.rng) : deriveRng(seed, 'shuffle-examples');
  let exhausted = saved?.exhausted ?? false;
  const pull = async (): Promise<Example | undefined> => {
    if (exhausted) return undefined;
    const example = await source.next();
    if (example === undefined) exhausted = true;
    return example;
  };
  return {
    name: source.name,
    async next() {
      while (buffer.length < size && !exhausted) {
        const example = await pull();
        if (example) buffer.push(example);
      }
      if (!exhausted) {
        const incoming = await pull();
        if (incoming) {
          const j = rng.int(size);
          const out = buffer[j]!;
          buffer[j] = incoming;
          return out;
        }
      }
      if (buffer.length === 0) return undefined;
      const j = rng.int(buffer.length);
      const out = buffer[j]!;
      buffer[j] = buffer[buffer.length - 1]!;
      buffer.pop();
      return out;
    },
    state: () => ({
      kind: 'shuffle',
      seed,
      inner: source.state(),
      buffer: structuredClone(buffer),
      rng: rng.state(),
      exhausted,
    }),
    close: () => source.close(),
  };
}
