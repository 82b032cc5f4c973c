// Single-precision GEMM with f32x4 SIMD: C = op(A)·op(B) (or C += ...), op = identity or transpose,
// any row strides, so one head of a `[batch·len, heads·dKv]` matrix is an operand without a transpose.
//
// Goto-style blocking: each NC-wide, KC-deep block of op(B) is packed into 8-column panels and
// op(A) (MC rows at a time) into 4-row panels, both contiguous in k, so the 4x8 micro-kernel streams
// two contiguous arrays: per k step, two loads of B, four splat-loads of A, 32 multiply-adds in 8
// accumulators (16 v128 registers on x64 hold the 8 accumulators, the B vectors and the A splat).
// Panels are zero-padded to whole tiles; edge tiles are computed into a scratch tile and copied.
// All sizes and strides are in elements; pointers are byte offsets into tfjs's heap.

const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 256;
const MC: i32 = 128;
// Columns of op(B) packed at a time: bounds scratch (256 x 1024 floats, 1 MiB) for wide products
// such as the LM head's 32128 columns.
const NC: i32 = 1024;

function imin(a: i32, b: i32): i32 {
  return a < b ? a : b;
}

/** Scratch bytes `gemm` needs for an `m x n x k` product. */
export function gemmScratchBytes(m: i32, n: i32, k: i32): i32 {
  const kc = imin(k, KC);
  const nPad = (imin(n, NC) + NR - 1) & ~(NR - 1);
  const mPad = imin((m + MR - 1) & ~(MR - 1), MC);
  return (kc * nPad + kc * mPad + MR * NR) * 4;
}

/** Packs rows `p0 .. p0+kc` of op(B) (`k x n`) into 8-column panels: panel j holds `kc` rows of 8. */
function packB(b: usize, ldb: i32, transB: bool, p0: i32, kc: i32, n: i32, out: usize): void {
  const panels = (n + NR - 1) / NR;
  for (let jp = 0; jp < panels; jp++) {
    const j0 = jp * NR;
    const w = imin(NR, n - j0);
    const dst = out + ((<usize>(jp * kc * NR)) << 2);
    if (!transB) {
      // op(B)(p, j) = B[p·ldb + j]: rows of the panel are contiguous in B.
      let src = b + ((<usize>(p0 * ldb + j0)) << 2);
      const step = (<usize>ldb) << 2;
      if (w == NR) {
        for (let p = 0; p < kc; p++) {
          const d = dst + ((<usize>(p * NR)) << 2);
          v128.store(d, v128.load(src));
          v128.store(d, v128.load(src, 16), 16);
          src += step;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const d = dst + ((<usize>(p * NR)) << 2);
          v128.store(d, f32x4.splat(0));
          v128.store(d, f32x4.splat(0), 16);
          for (let jj = 0; jj < w; jj++)
            store<f32>(d + ((<usize>jj) << 2), load<f32>(src + ((<usize>jj) << 2)));
          src += step;
        }
      }
    } else {
      // op(B)(p, j) = B[j·ldb + p]: each panel column is a contiguous run of a row of B.
      for (let jj = 0; jj < NR; jj++) {
        const d = dst + ((<usize>jj) << 2);
        if (jj < w) {
          const src = b + ((<usize>((j0 + jj) * ldb + p0)) << 2);
          for (let p = 0; p < kc; p++)
            store<f32>(d + ((<usize>(p * NR)) << 2), load<f32>(src + ((<usize>p) << 2)));
        } else {
          for (let p = 0; p < kc; p++) store<f32>(d + ((<usize>(p * NR)) << 2), 0);
        }
      }
    }
  }
}

/** Packs rows `i0 .. i0+mc`, columns `p0 .. p0+kc` of op(A) (`m x k`) into 4-row panels. */
function packA(a: usize, lda: i32, transA: bool, i0: i32, mc: i32, p0: i32, kc: i32, out: usize): void {
  const panels = (mc + MR - 1) / MR;
  for (let ip = 0; ip < panels; ip++) {
    const r0 = i0 + ip * MR;
    const h = imin(MR, mc - ip * MR);
    const dst = out + ((<usize>(ip * kc * MR)) << 2);
    if (transA) {
      // op(A)(i, p) = A[p·lda + i]: the panel's 4 rows at one p are contiguous in A.
      let src = a + ((<usize>(p0 * lda + r0)) << 2);
      const step = (<usize>lda) << 2;
      if (h == MR) {
        for (let p = 0; p < kc; p++) {
          v128.store(dst + ((<usize>(p * MR)) << 2), v128.load(src));
          src += step;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const d = dst + ((<usize>(p * MR)) << 2);
          v128.store(d, f32x4.splat(0));
          for (let ii = 0; ii < h; ii++)
            store<f32>(d + ((<usize>ii) << 2), load<f32>(src + ((<usize>ii) << 2)));
          src += step;
        }
      }
    } else {
      // op(A)(i, p) = A[i·lda + p]: interleave 4 contiguous rows.
      for (let ii = 0; ii < MR; ii++) {
        const d = dst + ((<usize>ii) << 2);
        if (ii < h) {
          const src = a + ((<usize>((r0 + ii) * lda + p0)) << 2);
          for (let p = 0; p < kc; p++)
            store<f32>(d + ((<usize>(p * MR)) << 2), load<f32>(src + ((<usize>p) << 2)));
        } else {
          for (let p = 0; p < kc; p++) store<f32>(d + ((<usize>(p * MR)) << 2), 0);
        }
      }
    }
  }
}

/**
 * `c + a·b` per lane. Built with relaxed SIMD (`gemm-relaxed`), one fused multiply-add (a single
 * rounding; about +12% on the arithmetic ceiling); otherwise a multiply and an add. The branch is
 * resolved at compile time.
 */
// @ts-ignore: decorator
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** The 4x8 tile `pa`-panel · `pb`-panel over `kc` steps, stored (or added when `acc`) at `c`. */
function kernel4x8(kc: i32, pa: usize, pb: usize, c: usize, ldcBytes: usize, acc: bool): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let av = v128.load32_splat(pa);
    c00 = madd(av, b0, c00);
    c01 = madd(av, b1, c01);
    av = v128.load32_splat(pa, 4);
    c10 = madd(av, b0, c10);
    c11 = madd(av, b1, c11);
    av = v128.load32_splat(pa, 8);
    c20 = madd(av, b0, c20);
    c21 = madd(av, b1, c21);
    av = v128.load32_splat(pa, 12);
    c30 = madd(av, b0, c30);
    c31 = madd(av, b1, c31);
    pa += 16;
    pb += 32;
  }
  let r = c;
  if (acc) {
    v128.store(r, f32x4.add(v128.load(r), c00));
    v128.store(r, f32x4.add(v128.load(r, 16), c01), 16);
    r += ldcBytes;
    v128.store(r, f32x4.add(v128.load(r), c10));
    v128.store(r, f32x4.add(v128.load(r, 16), c11), 16);
    r += ldcBytes;
    v128.store(r, f32x4.add(v128.load(r), c20));
    v128.store(r, f32x4.add(v128.load(r, 16), c21), 16);
    r += ldcBytes;
    v128.store(r, f32x4.add(v128.load(r), c30));
    v128.store(r, f32x4.add(v128.load(r, 16), c31), 16);
  } else {
    v128.store(r, c00);
    v128.store(r, c01, 16);
    r += ldcBytes;
    v128.store(r, c10);
    v128.store(r, c11, 16);
    r += ldcBytes;
    v128.store(r, c20);
    v128.store(r, c21, 16);
    r += ldcBytes;
    v128.store(r, c30);
    v128.store(r, c31, 16);
  }
}

/**
 * `C = op(A)·op(B)` (`accumulate`: `C += op(A)·op(B)`) with op(A) `m x k`, op(B) `k x n`, C `m x n`.
 * `lda`, `ldb`, `ldc` are the row strides of A, B and C as stored; `scratch` holds
 * `gemmScratchBytes(m, n, k)` bytes. C must not overlap A or B.
 */
export function gemm(
  a: usize,
  b: usize,
  c: usize,
  scratch: usize,
  m: i32,
  n: i32,
  k: i32,
  lda: i32,
  ldb: i32,
  ldc: i32,
  transA: bool,
  transB: bool,
  accumulate: bool,
): void {
  if (m <= 0 || n <= 0) return;
  const ldcBytes = (<usize>ldc) << 2;
  if (k <= 0) {
    if (!accumulate) {
      for (let i = 0; i < m; i++) memory.fill(c + <usize>i * ldcBytes, 0, (<usize>n) << 2);
    }
    return;
  }
  for (let j0 = 0; j0 < n; j0 += NC) {
    const bBlock = b + ((<usize>(transB ? j0 * ldb : j0)) << 2);
    gemmColumns(
      a,
      bBlock,
      c + ((<usize>j0) << 2),
      scratch,
      m,
      imin(NC, n - j0),
      k,
      lda,
      ldb,
      ldc,
      transA,
      transB,
      accumulate,
    );
  }
}

/** `gemm` for at most `NC` columns. */
function gemmColumns(
  a: usize,
  b: usize,
  c: usize,
  scratch: usize,
  m: i32,
  n: i32,
  k: i32,
  lda: i32,
  ldb: i32,
  ldc: i32,
  transA: bool,
  transB: bool,
  accumulate: bool,
): void {
  const ldcBytes = (<usize>ldc) << 2;
  const kcMax = imin(k, KC);
  const nPad = (n + NR - 1) & ~(NR - 1);
  const packedB = scratch;
  const packedA = packedB + ((<usize>(kcMax * nPad)) << 2);
  const mcMax = imin((m + MR - 1) & ~(MR - 1), MC);
  const tile = packedA + ((<usize>(kcMax * mcMax)) << 2);
  const panelsN = nPad / NR;
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = imin(KC, k - p0);
    const acc = accumulate || p0 > 0;
    packB(b, ldb, transB, p0, kc, n, packedB);
    for (let i0 = 0; i0 < m; i0 += MC) {
      const mc = imin(MC, m - i0);
      packA(a, lda, transA, i0, mc, p0, kc, packedA);
      const panelsM = (mc + MR - 1) / MR;
      for (let jp = 0; jp < panelsN; jp++) {
        const j0 = jp * NR;
        const w = imin(NR, n - j0);
        const pb = packedB + ((<usize>(jp * kc * NR)) << 2);
        for (let ip = 0; ip < panelsM; ip++) {
          const r0 = i0 + ip * MR;
          const h = imin(MR, m - r0);
          const pa = packedA + ((<usize>(ip * kc * MR)) << 2);
          const cTile = c + <usize>r0 * ldcBytes + ((<usize>j0) << 2);
          // One call site, so the optimizer inlines the micro-kernel.
          const full = h == MR && w == NR;
          kernel4x8(kc, pa, pb, full ? cTile : tile, full ? ldcBytes : NR << 2, full && acc);
          if (!full) {
            for (let ii = 0; ii < h; ii++) {
              const src = tile + ((<usize>(ii * NR)) << 2);
              const dst = cTile + <usize>ii * ldcBytes;
              for (let jj = 0; jj < w; jj++) {
                const o = (<usize>jj) << 2;
                const v = load<f32>(src + o);
                store<f32>(dst + o, acc ? load<f32>(dst + o) + v : v);
              }
            }
          }
        }
      }
    }
  }
}
