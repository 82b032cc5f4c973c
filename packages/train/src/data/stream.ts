/** Example sources and batchers as the training loop consumes them. */
import type { BatchStream } from '../loop';
import type { Batcher } from './batcher';
import type { ExampleSource } from './sources';

/**
 * The batcher as `fit`'s micro-batch stream, with the counts the metrics need. `before` runs before
 * each micro-batch is drawn (a paused page waits there) and may end the stream by returning false.
 */
export function batcherStream(batcher: Batcher, before?: () => Promise<boolean> | boolean): BatchStream {
  return {
    async next() {
      if (before !== undefined && !(await before())) return undefined;
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
}

/** The first `count` examples of a source (e.g. a held-out split drawn once from an endless sampler). */
export function takeExamples(source: ExampleSource, count: number): ExampleSource {
  let left = count;
  return {
    name: source.name,
    next: async () => (left-- > 0 ? source.next() : undefined),
    state: () => source.state(),
    close: () => source.close(),
  };
}
