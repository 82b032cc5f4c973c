/** Mixing rates: how often a mixture samples each task. */

export interface ExamplesProportional {
  /** Cap on the (scaled) example count before temperature; seqio's `maximum`. */
  maximum?: number;
  /** rate = count^(1/temperature); 1 keeps proportions, larger flattens them. Default 1. */
  temperature?: number;
  /** Multiplies the count before the cap. Default 1. */
  scale?: number;
}

/** A fixed rate, or examples-proportional (seqio `mixing_rate_num_examples`). */
export type MixingRate = number | { examplesProportional: ExamplesProportional };

/**
 * seqio's `mixing_rate_num_examples`: rate = min(numExamples * scale, maximum) ^ (1 / temperature).
 */
export function mixingRateNumExamples(numExamples: number, options: ExamplesProportional = {}): number {
  const { maximum, temperature = 1, scale = 1 } = options;
  if (!(numExamples >= 0)) throw new RangeError(`number of examples must be >= 0, got ${numExamples}`);
  if (!(temperature > 0)) throw new RangeError(`temperature must be > 0, got ${temperature}`);
  let rate = numExamples * scale;
  if (maximum !== undefined) rate = Math.min(rate, maximum);
  return temperature === 1 ? rate : rate ** (1 / temperature);
}

/**
 * Sampling probabilities from rates and optional per-collection weights: each collection gets its
 * weight's share, split among its tasks by their rates (as FLAN's sub-mixtures).
 */
export function mixtureProbabilities(
  rates: readonly number[],
  collections?: { of: ReadonlyArray<string | undefined>; weights: Readonly<Record<string, number>> },
): number[] {
  rates.forEach((r, i) => {
    if (!(r >= 0) || !Number.isFinite(r))
      throw new RangeError(`rate of task ${i} must be a finite number >= 0, got ${r}`);
  });
  if (!collections) {
    const total = rates.reduce((a, b) => a + b, 0);
    if (!(total > 0)) throw new RangeError('all mixing rates are 0');
    return rates.map((r) => r / total);
  }
  const totals = new Map<string, number>();
  collections.of.forEach((name, i) => {
    if (name === undefined || !(name in collections.weights)) {
      throw new RangeError(
        `task ${i} has no collection weight (collection ${name === undefined ? 'unset' : `"${name}"`})`,
      );
    }
    totals.set(name, (totals.get(name) ?? 0) + rates[i]!);
  });
  let weightTotal = 0;
  for (const name of totals.keys()) weightTotal += collections.weights[name]!;
  if (!(weightTotal > 0)) throw new RangeError('all collection weights are 0');
  return rates.map((rate, i) => {
    const name = collections.of[i]!;
    const within = totals.get(name)!;
    return within > 0 ? (collections.weights[name]! / weightTotal) * (rate / within) : 0;
  });
}
