/**
 * How one GEMM family is shared between threads: by output tiles, so that every element of C is
 * computed by exactly one thread with the same code and the same order over k as on one thread
 * (the results are bit-identical whatever the thread count). Pure arithmetic on offsets, no memory.
 */

/** One `gemm` call on a sub-block of C: element offsets of op(A), op(B), C and the block's size. */
export interface GemmPart {
  a: number;
  b: number;
  c: number;
  m: number;
  n: number;
}

/** The shape shared by a family of products (see `GemmSpec` in `gemm.ts`). */
export interface GemmShape {
  m: number;
  n: number;
  k: number;
  lda: number;
  ldb: number;
  ldc: number;
  transA: boolean;
  transB: boolean;
  batches: readonly { a: number; b: number; c: number }[];
}

/** Row blocks are whole 4-row micro-tiles, column blocks whole 8-column ones (`assembly/gemm.ts`). */
const ROW_ALIGN = 4;
const COL_ALIGN = 8;

function ranges(size: number, parts: number, align: number): [number, number][] {
  const step = Math.ceil(size / parts / align) * align;
  const out: [number, number][] = [];
  for (let start = 0; start < size; start += step) out.push([start, Math.min(size, start + step)]);
  return out;
}

/**
 * Splits `shape` over `threads` threads; `parts[t]` is thread t's list (some may be empty). Whole
 * products go to threads when they divide evenly; otherwise each product is cut into row blocks
 * (every thread then packs all of op(B): chosen when op(B) is the narrower side) or column blocks
 * (every thread packs all of op(A)).
 */
export function splitGemm(shape: GemmShape, threads: number): GemmPart[][] {
  const parts: GemmPart[][] = Array.from({ length: threads }, () => []);
  const { m, n, batches } = shape;
  if (batches.length % threads === 0) {
    const per = batches.length / threads;
    batches.forEach((o, i) => parts[Math.floor(i / per)]!.push({ ...o, m, n }));
    return parts;
  }
  const byRows = m >= n;
  const blocks = byRows ? ranges(m, threads, ROW_ALIGN) : ranges(n, threads, COL_ALIGN);
  for (const o of batches) {
    blocks.forEach(([start, end], t) => {
      if (byRows) {
        const aShift = shape.transA ? start : start * shape.lda;
        parts[t]!.push({ a: o.a + aShift, b: o.b, c: o.c + start * shape.ldc, m: end - start, n });
      } else {
        const bShift = shape.transB ? start * shape.ldb : start;
        parts[t]!.push({ a: o.a, b: o.b + bShift, c: o.c + start, m, n: end - start });
      }
    });
  }
  return parts;
}
