/**
 * T5's relative position buckets (HF `T5Attention._relative_position_bucket`): exact buckets for
 * small distances, logarithmic ones up to `maxDistance`, everything beyond in the last bucket. The
 * encoder is bidirectional (half of the buckets per direction); the decoder only looks back, so keys
 * after the query fall in bucket 0 (they are masked anyway).
 */

/** Bucket of `relativePosition` = key position − query position. The log is evaluated in float32, as HF does. */
export function relativePositionBucket(
  relativePosition: number,
  bidirectional: boolean,
  numBuckets: number,
  maxDistance: number,
): number {
  let bucket = 0;
  let n = numBuckets;
  let distance: number;
  if (bidirectional) {
    n = Math.floor(n / 2);
    if (relativePosition > 0) bucket += n;
    distance = Math.abs(relativePosition);
  } else {
    distance = -Math.min(relativePosition, 0);
  }
  const maxExact = Math.floor(n / 2);
  if (distance < maxExact) return bucket + distance;
  const f = Math.fround;
  const logRatio = f(f(Math.log(f(distance / maxExact))) / f(Math.log(maxDistance / maxExact)));
  const large = maxExact + Math.trunc(f(logRatio * (n - maxExact)));
  return bucket + Math.min(large, n - 1);
}

const tables = new Map<string, Int32Array>();

/**
 * Buckets for queries at positions `queryOffset … queryOffset + queryLen − 1` against keys
 * `0 … keyLen − 1`, row-major `[queryLen · keyLen]`. Memoised: decoding asks for the same tables often.
 */
export function relativePositionBuckets(
  queryLen: number,
  keyLen: number,
  queryOffset: number,
  bidirectional: boolean,
  numBuckets: number,
  maxDistance: number,
): Int32Array {
  const key = `${queryLen},${keyLen},${queryOffset},${bidirectional},${numBuckets},${maxDistance}`;
  let table = tables.get(key);
  if (table === undefined) {
    table = new Int32Array(queryLen * keyLen);
    for (let i = 0; i < queryLen; i++) {
      for (let j = 0; j < keyLen; j++) {
        table[i * keyLen + j] = relativePositionBucket(
          j - (i + queryOffset),
          bidirectional,
          numBuckets,
          maxDistance,
        );
      }
    }
    if (tables.size > 256) tables.clear();
    tables.set(key, table);
  }
  return table;
}
