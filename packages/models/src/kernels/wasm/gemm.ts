/**
 * Strided, batched float32 GEMM (`assembly/gemm.ts`) as kernels of the wasm backend. tfjs-backend-wasm
 * runs batched or transposed `BatchMatMul` as a naive loop (~1-3 GFLOP/s); ours packs panels and runs a
 * SIMD micro-kernel at 30-45 GFLOP/s, which also beats tfjs's XNNPACK path on plain 2-D products of
 * 64 rows and more by 20-40% at T5's shapes (`scripts/bench-gemm.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { gemmFusedMultiplyAdd, setGemmFusedMultiplyAdd } from '../../threads/index';
import { wasmBase64 as relaxedWasmBase64 } from './generated/gemm-relaxed';
import { wasmBase64 as plainWasmBase64 } from './generated/gemm';
import { runGemmThreaded } from './gemm-threaded';
import {
  freeingOutputsOnThrow,
  heapOffset,
  kernelModuleBytes,
  loadKernelModule,
  replaceWasmKernel,
  withScratch,
} from './runtime';
import type { WasmBackendInternals } from './runtime';

export interface GemmExports {
  gemm(
    a: number,
    b: number,
    c: number,
    scratch: number,
    m: number,
    n: number,
    k: number,
    lda: number,
    ldb: number,
    ldc: number,
    transA: number,
    transB: number,
    accumulate: number,
  ): void;
  gemmScratchBytes(m: number, n: number, k: number): number;
}

/** One product's operands: element offsets from each tensor's start. */
export interface GemmBatch {
  a: number;
  b: number;
  c: number;
}

/**
 * A family of products `C = op(A)·op(B)` with op(A) `m x k`, op(B) `k x n`, sharing sizes and row
 * strides (`lda`, `ldb`, `ldc`: elements between rows as stored) and differing in offsets.
 */
export interface GemmSpec {
  m: number;
  n: number;
  k: number;
  lda: number;
  ldb: number;
  ldc: number;
  transA: boolean;
  transB: boolean;
  batches: readonly GemmBatch[];
}

let gemmExports: GemmExports | undefined;

/** Runs `spec` on tensors already on the wasm backend; `c` is written (never read). */
export function runGemm(
  backend: WasmBackendInternals,
  a: TensorInfo,
  b: TensorInfo,
  c: TensorInfo,
  spec: GemmSpec,
): void {
  const g = gemmExports;
  if (g === undefined) throw new Error('wasm gemm kernels are not installed');
  const { m, n, k } = spec;
  if (m === 0 || n === 0 || spec.batches.length === 0) return;
  const aBase = heapOffset(backend, a);
  const bBase = heapOffset(backend, b);
  const cBase = heapOffset(backend, c);
  const transA = spec.transA ? 1 : 0;
  const transB = spec.transB ? 1 : 0;
  if (runGemmThreaded(backend, g, aBase, bBase, cBase, spec)) return;
  withScratch(backend, g.gemmScratchBytes(m, n, k), (scratch) => {
    for (const o of spec.batches) {
      g.gemm(
        aBase + 4 * o.a,
        bBase + 4 * o.b,
        cBase + 4 * o.c,
        scratch,
        m,
        n,
        k,
        spec.lda,
        spec.ldb,
        spec.ldc,
        transA,
        transB,
        0,
      );
    }
  });
}

/** Whether the installed GEMM uses relaxed SIMD's fused multiply-add (`gemm-relaxed`). */
export function gemmUsesFusedMultiplyAdd(): boolean {
  return gemmFusedMultiplyAdd();
}

/** Whether the gemm module is installed (the kernels below are registered). */
export function gemmInstalled(): boolean {
  return gemmExports !== undefined;
}

/**
 * Element offsets of each output batch's A and B for batch shapes `aOuter` and `bOuter` broadcast to
 * `outOuter` (numpy rules: a missing or size-1 dim repeats).
 */
function broadcastBatches(
  aOuter: readonly number[],
  bOuter: readonly number[],
  outOuter: readonly number[],
  aSize: number,
  bSize: number,
  cSize: number,
): GemmBatch[] {
  const rank = outOuter.length;
  const strides = (shape: readonly number[], size: number): number[] => {
    const s = new Array<number>(rank).fill(0);
    let stride = size;
    for (let d = shape.length - 1, o = rank - 1; d >= 0; d--, o--) {
      s[o] = shape[d] === 1 ? 0 : stride;
      stride *= shape[d]!;
    }
    return s;
  };
  const aStrides = strides(aOuter, aSize);
  const bStrides = strides(bOuter, bSize);
  const count = outOuter.reduce((x, y) => x * y, 1);
  const batches: GemmBatch[] = [];
  const index = new Array<number>(rank).fill(0);
  for (let t = 0; t < count; t++) {
    let aOff = 0;
    let bOff = 0;
    for (let d = 0; d < rank; d++) {
      aOff += index[d]! * aStrides[d]!;
      bOff += index[d]! * bStrides[d]!;
    }
    batches.push({ a: aOff, b: bOff, c: t * cSize });
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d]! < outOuter[d]!) break;
      index[d] = 0;
    }
  }
  return batches;
}

/**
 * Below this many rows a plain 2-D product stays on tfjs's XNNPACK path, which keeps the packed
 * weights between calls: decoding's few-row products are memory-bound, and packing `B` on every call
 * (as we do) costs ~3x there; from ~64 rows packing is amortized and our kernel is faster.
 */
export const MIN_GEMM_ROWS = 64;

/**
 * `BatchMatMul` for float32 on our GEMM; undefined where tfjs's kernel should run instead: other
 * dtypes, and plain 2-D products of fewer than `MIN_GEMM_ROWS` rows.
 */
export function gemmBatchMatMul(
  backend: WasmBackendInternals,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): TensorInfo | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const aOuter = a.shape.slice(0, -2);
  const bOuter = b.shape.slice(0, -2);
  const [aRows, aCols] = a.shape.slice(-2) as [number, number];
  const [bRows, bCols] = b.shape.slice(-2) as [number, number];
  const m = transposeA ? aCols : aRows;
  const k = transposeA ? aRows : aCols;
  const n = transposeB ? bRows : bCols;
  const plain = !transposeA && !transposeB && aOuter.every((d) => d === 1) && bOuter.every((d) => d === 1);
  if (plain && m < MIN_GEMM_ROWS) return undefined;
  if ((transposeB ? bCols : bRows) !== k) {
    throw new Error(`BatchMatMul: inner dimensions differ: ${a.shape} and ${b.shape}`);
  }
  const outOuter = tf.broadcast_util.assertAndGetBroadcastShape(aOuter, bOuter);
  const out = backend.makeOutput([...outOuter, m, n], 'float32');
  runGemm(backend, a, b, out, {
    m,
    n,
    k,
    lda: aCols,
    ldb: bCols,
    ldc: n,
    transA: transposeA,
    transB: transposeB,
    batches: broadcastBatches(aOuter, bOuter, outOuter, aRows * aCols, bRows * bCols, m * n),
  });
  return out;
}

/**
 * Per-head scores `a_bh · b_bhᵀ` of `[batch·lenA, heads·dKv]` and `[batch·lenB, heads·dKv]` matrices
 * (rows of head `h` are the columns `h·dKv ..`), read in place: `[batch, heads, lenA, lenB]`.
 * Attrs: `batch`, `heads`.
 */
export const FLAN_HEAD_SCORES = 'FlanHeadScores';

/**
 * Per-head context `p_bh · v_bh` (`transposeP`: `p_bhᵀ · v_bh`) of `p` `[batch, heads, rows, cols]`
 * and `v` `[batch·len, heads·dKv]`, written merged: `[batch·outLen, heads·dKv]`. Attrs: `transposeP`.
 */
export const FLAN_HEAD_CONTEXT = 'FlanHeadContext';

function headScores(backend: WasmBackendInternals, a: TensorInfo, b: TensorInfo, attrs: NamedAttrMap) {
  const batch = attrs.batch as number;
  const heads = attrs.heads as number;
  const [aRows, width] = a.shape as [number, number];
  const [bRows, bWidth] = b.shape as [number, number];
  if (
    a.dtype !== 'float32' ||
    b.dtype !== 'float32' ||
    a.shape.length !== 2 ||
    b.shape.length !== 2 ||
    bWidth !== width ||
    width % heads !== 0
  ) {
    throw new Error(
      `${FLAN_HEAD_SCORES}: expected two [batch·len, heads·dKv] matrices, got ${a.shape} and ${b.shape}`,
    );
  }
  const lenA = aRows / batch;
  const lenB = bRows / batch;
  const dKv = width / heads;
  const out = backend.makeOutput([batch, heads, lenA, lenB], 'float32');
  const batches: GemmBatch[] = [];
  for (let bi = 0; bi < batch; bi++) {
    for (let h = 0; h < heads; h++) {
      batches.push({
        a: bi * lenA * width + h * dKv,
        b: bi * lenB * width + h * dKv,
        c: (bi * heads + h) * lenA * lenB,
      });
    }
  }
  runGemm(backend, a, b, out, {
    m: lenA,
    n: lenB,
    k: dKv,
    lda: width,
    ldb: width,
    ldc: lenB,
    transA: false,
    transB: true,
    batches,
  });
  return out;
}

function headContext(backend: WasmBackendInternals, p: TensorInfo, v: TensorInfo, attrs: NamedAttrMap) {
  const transposeP = attrs.transposeP as boolean;
  const [batch, heads, rows, cols] = p.shape as [number, number, number, number];
  const [vRows, width] = v.shape as [number, number];
  const outLen = transposeP ? cols : rows;
  const len = transposeP ? rows : cols;
  if (
    p.dtype !== 'float32' ||
    v.dtype !== 'float32' ||
    p.shape.length !== 4 ||
    v.shape.length !== 2 ||
    vRows !== batch * len ||
    width % heads !== 0
  ) {
    throw new Error(`${FLAN_HEAD_CONTEXT}: shapes ${p.shape} and ${v.shape} do not match`);
  }
  const dKv = width / heads;
  const out = backend.makeOutput([batch * outLen, width], 'float32');
  const batches: GemmBatch[] = [];
  for (let bi = 0; bi < batch; bi++) {
    for (let h = 0; h < heads; h++) {
      batches.push({
        a: (bi * heads + h) * rows * cols,
        b: bi * len * width + h * dKv,
        c: bi * outLen * width + h * dKv,
      });
    }
  }
  runGemm(backend, p, v, out, {
    m: outLen,
    n: dKv,
    k: len,
    lda: cols,
    ldb: width,
    ldc: width,
    transA: transposeP,
    transB: false,
    batches,
  });
  return out;
}

/** Whether this engine runs relaxed SIMD (validated on the relaxed GEMM module itself). */
export function relaxedSimdSupported(): boolean {
  return WebAssembly.validate(kernelModuleBytes(relaxedWasmBase64));
}

/** Options of `installGemmKernels`. */
export interface GemmInstallOptions {
  /** Use the fused multiply-add variant: `'auto'` (default) when the engine validates it. */
  fusedMultiplyAdd?: boolean | 'auto';
}

/**
 * Registers this module's kernels on the wasm backend; resolves to the compiled module (for the
 * thread pool's workers), or undefined when the kernels could not be installed.
 */
export async function installGemmKernels(
  backend: WasmBackendInternals,
  options: GemmInstallOptions = {},
): Promise<WebAssembly.Module | undefined> {
  const wantFma = options.fusedMultiplyAdd ?? 'auto';
  const fma = wantFma === 'auto' ? relaxedSimdSupported() : wantFma;
  const loaded = await loadKernelModule<GemmExports>(backend, fma ? relaxedWasmBase64 : plainWasmBase64);
  if (loaded === undefined) return undefined;
  gemmExports = loaded.exports;
  setGemmFusedMultiplyAdd(fma);
  replaceWasmKernel(tf.BatchMatMul, (fallback) => (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const attrs = args.attrs as NamedAttrMap & { transposeA: boolean; transposeB: boolean };
    const out = freeingOutputsOnThrow(backend, (tracked) =>
      gemmBatchMatMul(tracked, a, b, attrs.transposeA, attrs.transposeB),
    );
    if (out !== undefined) return out;
    if (fallback === undefined) throw new Error('BatchMatMul: no wasm kernel to fall back to');
    return fallback(args);
  });
  replaceWasmKernel(FLAN_HEAD_SCORES, () => (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    return freeingOutputsOnThrow(backend, (tracked) => headScores(tracked, a, b, args.attrs as NamedAttrMap));
  });
  replaceWasmKernel(FLAN_HEAD_CONTEXT, () => (args) => {
    const { p, v } = args.inputs as { p: TensorInfo; v: TensorInfo };
    return freeingOutputsOnThrow(backend, (tracked) =>
      headContext(tracked, p, v, args.attrs as NamedAttrMap),
    );
  });
  return loaded.module;
}
