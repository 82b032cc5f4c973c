/**
 * How each fused kernel is cut into calls for the threads (`fused-threaded.ts` runs them): blocks of
 * rows (or of elements, for the activations) given to each thread whole, so that every output element
 * is computed by one thread with the same code as on one thread.
 */
import { call, type FusedCall } from './fused-threaded';

/** `[start, end)` blocks of `total` for each thread, each a multiple of `align` but the last. */
export function blocks(total: number, threads: number, align = 1): [number, number][] {
  const units = Math.ceil(total / align);
  const out: [number, number][] = [];
  for (let t = 0; t < threads; t++) {
    const start = Math.min(total, Math.floor((units * t) / threads) * align);
    const end = Math.min(total, Math.floor((units * (t + 1)) / threads) * align);
    out.push([start, end]);
  }
  return out;
}

/** Byte offset of row `row` of a float32 or int32 matrix with `width` columns. */
export const rowAt = (base: number, row: number, width: number): number => base + 4 * row * width;

/** Each thread's calls: `make(start, end)` for its block of `total` rows (or elements), if any. */
export function perBlock(
  total: number,
  threads: number,
  make: (start: number, end: number) => FusedCall,
  align = 1,
): FusedCall[][] {
  return blocks(total, threads, align).map(([start, end]) => (end > start ? [make(start, end)] : []));
}

/**
 * The softmax's calls for rows [start, end) of the [b·h·q] rows: one call per run of rows inside one
 * (i0, i1) pair, as a [1, 1, run] softmax whose bias and mask pointers start at that run's first row.
 */
export function softmaxRuns(
  start: number,
  end: number,
  [h, q, k]: [number, number, number],
  [s, bias, mask, p]: [number, number, number, number],
  bs: [number, number, number],
  ms: [number, number, number],
): FusedCall[] {
  const calls: FusedCall[] = [];
  for (let row = start; row < end;) {
    const pair = Math.floor(row / q);
    const [i0, i1, i2] = [Math.floor(pair / h), pair % h, row % q];
    const run = Math.min(end, (pair + 1) * q) - row;
    const at = (base: number, st: [number, number, number]) =>
      base === 0 ? 0 : base + 4 * (i0 * st[0] + i1 * st[1] + i2 * st[2]);
    calls.push(
      call(
        'maskedSoftmax',
        rowAt(s, row, k),
        at(bias, bs),
        at(mask, ms),
        rowAt(p, row, k),
        1,
        1,
        run,
        k,
        0,
        0,
        bs[2],
        0,
        0,
        ms[2],
      ),
    );
    row += run;
  }
  return calls;
}
