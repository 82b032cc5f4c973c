/**
 * Length bucketing for padding mode: within a window of examples, sort by length and cut into batches, so a
 * batch holds examples of similar length and little compute goes to padding. The window is shuffled first
 * (equal lengths come out in a seeded order, not file order) and the batches are shuffled after (a run does
 * not see short-to-long ramps). Both shuffles are seeded by `(seed, window index)`, so a resumed run buckets
 * exactly as an uninterrupted one.
 */
import { deriveRng, type Rng } from '@flan-ts/templates';
import type { Example } from './example';

function shuffleInPlace<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** The batches of one window: seeded shuffle, stable sort by (input, target) length, chunks, seeded shuffle. */
export function bucketByLength(
  window: readonly Example[],
  batchSize: number,
  seed: number,
  windowIndex: number,
): Example[][] {
  const rng = deriveRng(seed, 'length-buckets', windowIndex);
  const sorted = shuffleInPlace([...window], rng).sort(
    (a, b) => a.inputs.length - b.inputs.length || a.targets.length - b.targets.length,
  );
  const batches: Example[][] = [];
  for (let i = 0; i < sorted.length; i += batchSize) batches.push(sorted.slice(i, i + batchSize));
  return shuffleInPlace(batches, rng);
}
