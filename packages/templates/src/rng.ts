/**
 * Seeded randomness: xoshiro128** (Blackman & Vigna, 2018) seeded through splitmix32. Small, fast
 * with 32-bit integer math, and its whole state is four uint32s, so it serialises trivially.
 *
 * Sampling never shares one long stream between decisions: each draw derives its own generator from
 * `(seed, stream, index)` with {@link deriveRng}, so a sampler resumed at draw `i` makes exactly the
 * choices an uninterrupted run would have made.
 */

/** A seeded uniform random source. */
export interface Rng {
  /** Uniform float in [0, 1) with 32 bits of randomness. */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** One element chosen uniformly. Throws on an empty array. */
  choice<T>(items: readonly T[]): T;
  /** The generator's state, for {@link rngFromState}. */
  state(): [number, number, number, number];
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k));

/** Restores a generator from {@link Rng.state}. */
export function rngFromState(state: readonly [number, number, number, number]): Rng {
  let [a, b, c, d] = state.map((x) => x >>> 0) as [number, number, number, number];
  if ((a | b | c | d) === 0) a = 1; // the all-zero state is xoshiro's only fixed point
  const nextUint32 = () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  const rng: Rng = {
    next: () => nextUint32() / 4294967296,
    int: (n) => {
      if (!(n > 0) || !Number.isInteger(n))
        throw new RangeError(`rng.int needs a positive integer, got ${n}`);
      return Math.floor(rng.next() * n);
    },
    choice: (items) => {
      if (items.length === 0) throw new RangeError('rng.choice of an empty list');
      return items[rng.int(items.length)]!;
    },
    // Unsigned, as documented: a restored generator then reports the same state, bit for bit and in JSON.
    state: () => [a >>> 0, b >>> 0, c >>> 0, d >>> 0],
  };
  return rng;
}

/** A generator seeded from a 32-bit integer seed. */
export function createRng(seed: number): Rng {
  const mix = splitmix32(seed);
  return rngFromState([mix(), mix(), mix(), mix()]);
}

/** 32-bit FNV-1a of a string, to turn names into seeds. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Combines a seed with keys (strings or integers) into a new 32-bit seed. */
export function deriveSeed(seed: number, ...keys: ReadonlyArray<string | number>): number {
  let h = splitmix32(seed >>> 0)();
  for (const key of keys) {
    const k = typeof key === 'string' ? hashString(key) : key >>> 0;
    // Large integers (draw indices beyond 2^32) keep their high bits too.
    const high = typeof key === 'number' ? Math.floor(key / 4294967296) >>> 0 : 0;
    h = splitmix32(h ^ k)() ^ splitmix32(high + 0x632be5ab)();
  }
  return h >>> 0;
}

/** A generator for one named decision stream, independent of every other (seed, keys) pair. */
export function deriveRng(seed: number, ...keys: ReadonlyArray<string | number>): Rng {
  return createRng(deriveSeed(seed, ...keys));
}
