/** Seeded pseudo-random numbers for test data and benchmark inputs (never for anything users see). */

/** mulberry32: a small seeded generator of uniform numbers in [0, 1), good enough for test data. */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` float32 values drawn uniformly from [lo, hi) with {@link seededUniform}. */
export function uniformFloats(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const next = seededUniform(seed);
  return Float32Array.from({ length: n }, () => lo + next() * (hi - lo));
}
