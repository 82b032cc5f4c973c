/**
 * Fused elementwise kernels (`assembly/fused.ts`) registered on the wasm backend under our own names.
 * Each replaces a chain of 4-10 tfjs kernels (full passes over memory, some scalar) by one SIMD pass.
 * Callers (`rmsNorm.ts`, `activations.ts`, `softmax.ts`, `loss/crossEntropy.ts`) use them through
 * `tf.engine().runKernel` when `hasKernel(name)` and keep their composite tfjs code otherwise.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { wasmBase64 } from './generated/fused';
import { blocks, perBlock, rowAt, softmaxRuns } from './fused-split';
import { call, runFused } from './fused-threaded';
import {
  freeingOutputsOnThrow,
  hasKernel,
  heapOffset,
  loadKernelModule,
  replaceWasmKernel,
  withScratch,
} from './runtime';
import type { WasmBackendInternals } from './runtime';

/** Kernel names (inputs → outputs; all float32 unless noted). */
export const FUSED_KERNELS = {
  /** x [n, d], w [d] → y [n, d], r [n, 1]; attrs `eps`. */
  rmsNorm: 'FlanRmsNorm',
  /** dy [n, d], x [n, d], w [d], r [n, 1] → dx [n, d], dw [d]. */
  rmsNormGrad: 'FlanRmsNormGrad',
  /** h0, h1? (same shape) → act(h0)·h1; attrs `activation` ('relu' | 'gelu_new'). */
  activation: 'FlanActivation',
  /** h0, h1?, dm → dh0, dh1? ; attrs `activation`. */
  activationGrad: 'FlanActivationGrad',
  /** scores [b, h, q, k], bias?, mask? (rank 4, last axis k) → probs; attrs `hasBias`, `hasMask`. */
  maskedSoftmax: 'FlanMaskedSoftmax',
  /** probs, dProbs (same shape) → dScores. */
  softmaxGrad: 'FlanSoftmaxGrad',
  /** logits [n, V], labels int32 [n] → loss [n], lse [n]; attrs `labelSmoothing`, `zLoss`. */
  crossEntropy: 'FlanCrossEntropy',
  /** logits [n, V], labels int32 [n], lse [n], dLoss [] → dLogits [n, V]; attrs as above. */
  crossEntropyGrad: 'FlanCrossEntropyGrad',
} as const;

/** Whether the fused kernel `name` is registered for the active backend and the tensors are float32. */
export function fusable(name: string, ...tensors: readonly { dtype: string }[]): boolean {
  return hasKernel(name) && tensors.every((t) => t.dtype === 'float32');
}

/** Activations the fused activation kernels compute (exact gelu stays composite). */
export const FUSED_ACTIVATION_MODES: Readonly<Record<string, number>> = { relu: 0, gelu_new: 1 };

interface FusedExports {
  expArray(src: number, dst: number, n: number, nonPositive: boolean): void;
  rmsNormForward(x: number, w: number, y: number, r: number, rows: number, d: number, eps: number): void;
  rmsNormBackward(
    dy: number,
    x: number,
    w: number,
    r: number,
    dx: number,
    dw: number,
    rows: number,
    d: number,
  ): void;
  activationForward(h0: number, h1: number, m: number, n: number, mode: number): void;
  activationBackward(
    h0: number,
    h1: number,
    dm: number,
    dh0: number,
    dh1: number,
    n: number,
    mode: number,
  ): void;
  maskedSoftmax(
    s: number,
    bias: number,
    mask: number,
    p: number,
    b: number,
    h: number,
    q: number,
    k: number,
    bs0: number,
    bs1: number,
    bs2: number,
    ms0: number,
    ms1: number,
    ms2: number,
  ): void;
  softmaxBackward(p: number, dp: number, ds: number, rows: number, k: number): void;
  crossEntropyForward(
    logits: number,
    labels: number,
    loss: number,
    lse: number,
    rows: number,
    vocab: number,
    smoothing: number,
    zLoss: number,
  ): number;
  crossEntropyBackward(
    logits: number,
    labels: number,
    lse: number,
    grad: number,
    rows: number,
    vocab: number,
    smoothing: number,
    zLoss: number,
    /** dLoss / the batch's labels that are not -100 (at least 1). */
    perLabel: number,
  ): void;
}

let fused: { exports: FusedExports; backend: WasmBackendInternals } | undefined;

/** The module's exports (for tests of its building blocks, e.g. `expArray`); undefined before install. */
export function fusedKernelModule(): FusedExports | undefined {
  return fused?.exports;
}

/** Raised by the cross-entropy kernel for labels outside `[0, vocab)` other than -100. */
export class FusedLabelError extends Error {
  constructor(readonly count: number) {
    super(`${count} label(s) outside [0, vocab) and not -100`);
    this.name = 'FusedLabelError';
  }
}

type Inputs = Record<string, TensorInfo | undefined>;

function register(
  kernelName: string,
  run: (
    k: FusedExports,
    b: WasmBackendInternals,
    inputs: Inputs,
    attrs: NamedAttrMap,
  ) => TensorInfo | TensorInfo[],
): void {
  replaceWasmKernel(kernelName, () => ({ inputs, attrs }) => {
    const f = fused;
    if (f === undefined) throw new Error(`${kernelName}: fused kernels are not installed`);
    return freeingOutputsOnThrow(f.backend, (b) => run(f.exports, b, inputs as Inputs, attrs ?? {}));
  });
}

function need(inputs: Inputs, name: string): TensorInfo {
  const t = inputs[name];
  if (t === undefined) throw new Error(`fused kernel input ${name} is missing`);
  return t;
}

/** Offset of an optional input, 0 when absent (tfjs's allocator never returns 0). */
function offsetOrZero(b: WasmBackendInternals, t: TensorInfo | undefined): number {
  return t === undefined ? 0 : heapOffset(b, t);
}

/** Element strides of a rank-4 broadcast operand over the leading three axes (0 along size-1 axes). */
function broadcastStrides(t: TensorInfo | undefined): [number, number, number] {
  if (t === undefined) return [0, 0, 0];
  const [d0, d1, d2, d3] = t.shape as [number, number, number, number];
  return [d0 === 1 ? 0 : d1 * d2 * d3, d1 === 1 ? 0 : d2 * d3, d2 === 1 ? 0 : d3];
}

/** dLoss / (labels that are not -100, at least 1), in float32 as the kernel computed it. */
function perLabelScale(b: WasmBackendInternals, labels: TensorInfo, dLoss: number): number {
  const ids = b.typedArrayFromHeap(labels);
  let count = 0;
  for (let i = 0; i < ids.length; i++) if (ids[i] !== -100) count++;
  return Math.fround(dLoss / Math.max(count, 1));
}

function registerAll(): void {
  register(FUSED_KERNELS.rmsNorm, (k, b, inputs, attrs) => {
    const x = need(inputs, 'x');
    const w = need(inputs, 'w');
    const [rows, d] = x.shape as [number, number];
    const y = b.makeOutput([rows, d], 'float32');
    const r = b.makeOutput([rows, 1], 'float32');
    const [px, pw, py, pr] = [x, w, y, r].map((t) => heapOffset(b, t)) as [number, number, number, number];
    const eps = attrs.eps as number;
    runFused(b, k, rows * d, 'light', (threads) =>
      perBlock(rows, threads, (r0, r1) =>
        call('rmsNormForward', rowAt(px, r0, d), pw, rowAt(py, r0, d), rowAt(pr, r0, 1), r1 - r0, d, eps),
      ),
    );
    return [y, r];
  });
  register(FUSED_KERNELS.rmsNormGrad, (k, b, inputs) => {
    const x = need(inputs, 'x');
    const [rows, d] = x.shape as [number, number];
    const dx = b.makeOutput([rows, d], 'float32');
    const dw = b.makeOutput([d], 'float32');
    const [pdy, px, pw, pr, pdx, pdw] = [
      need(inputs, 'dy'),
      x,
      need(inputs, 'w'),
      need(inputs, 'r'),
      dx,
      dw,
    ].map((t) => heapOffset(b, t)) as [number, number, number, number, number, number];
    // dw is a sum over every row: split, it would either change the bits or take a second pass over
    // dy and x (measured: slower on 2 threads than the one fused pass on 1), so it stays on one thread.
    k.rmsNormBackward(pdy, px, pw, pr, pdx, pdw, rows, d);
    return [dx, dw];
  });
  register(FUSED_KERNELS.activation, (k, b, inputs, attrs) => {
    const h0 = need(inputs, 'h0');
    const m = b.makeOutput(h0.shape, 'float32');
    const mode = FUSED_ACTIVATION_MODES[attrs.activation as string]!;
    const [p0, p1, pm] = [heapOffset(b, h0), offsetOrZero(b, inputs.h1), heapOffset(b, m)];
    const n = tf.util.sizeFromShape(h0.shape);
    runFused(b, k, n, mode === FUSED_ACTIVATION_MODES.relu ? 'light' : 'heavy', (threads) =>
      perBlock(
        n,
        threads,
        (e0, e1) =>
          call('activationForward', p0 + 4 * e0, p1 === 0 ? 0 : p1 + 4 * e0, pm + 4 * e0, e1 - e0, mode),
        4,
      ),
    );
    return m;
  });
  register(FUSED_KERNELS.activationGrad, (k, b, inputs, attrs) => {
    const h0 = need(inputs, 'h0');
    const gated = inputs.h1 !== undefined;
    const dh0 = b.makeOutput(h0.shape, 'float32');
    const dh1 = gated ? b.makeOutput(h0.shape, 'float32') : undefined;
    const mode = FUSED_ACTIVATION_MODES[attrs.activation as string]!;
    const [p0, p1, pdm, pd0, pd1] = [
      heapOffset(b, h0),
      offsetOrZero(b, inputs.h1),
      heapOffset(b, need(inputs, 'dm')),
      heapOffset(b, dh0),
      offsetOrZero(b, dh1),
    ];
    const n = tf.util.sizeFromShape(h0.shape);
    const shift = (p: number, e: number) => (p === 0 ? 0 : p + 4 * e);
    runFused(b, k, n, mode === FUSED_ACTIVATION_MODES.relu ? 'light' : 'heavy', (threads) =>
      perBlock(
        n,
        threads,
        (e0, e1) =>
          call(
            'activationBackward',
            p0 + 4 * e0,
            shift(p1, e0),
            pdm + 4 * e0,
            pd0 + 4 * e0,
            shift(pd1, e0),
            e1 - e0,
            mode,
          ),
        4,
      ),
    );
    return dh1 !== undefined ? [dh0, dh1] : [dh0];
  });
  register(FUSED_KERNELS.maskedSoftmax, (k, b, inputs) => {
    const s = need(inputs, 'scores');
    const [d0, d1, d2, d3] = s.shape as [number, number, number, number];
    const p = b.makeOutput(s.shape, 'float32');
    const bs = broadcastStrides(inputs.bias);
    const ms = broadcastStrides(inputs.mask);
    const pointers = [
      heapOffset(b, s),
      offsetOrZero(b, inputs.bias),
      offsetOrZero(b, inputs.mask),
      heapOffset(b, p),
    ] as [number, number, number, number];
    runFused(b, k, d0 * d1 * d2 * d3, 'heavy', (threads) =>
      threads === 1
        ? [[call('maskedSoftmax', ...pointers, d0, d1, d2, d3, ...bs, ...ms)]]
        : blocks(d0 * d1 * d2, threads).map(([r0, r1]) =>
            softmaxRuns(r0, r1, [d1, d2, d3], pointers, bs, ms),
          ),
    );
    return p;
  });
  register(FUSED_KERNELS.softmaxGrad, (k, b, inputs) => {
    const p = need(inputs, 'probs');
    const width = p.shape[p.shape.length - 1]!;
    const ds = b.makeOutput(p.shape, 'float32');
    const total = tf.util.sizeFromShape(p.shape);
    const rows = width === 0 ? 0 : total / width;
    const [pp, pdp, pds] = [p, need(inputs, 'dProbs'), ds].map((t) => heapOffset(b, t)) as [
      number,
      number,
      number,
    ];
    runFused(b, k, total, 'light', (threads) =>
      perBlock(rows, threads, (r0, r1) =>
        call(
          'softmaxBackward',
          rowAt(pp, r0, width),
          rowAt(pdp, r0, width),
          rowAt(pds, r0, width),
          r1 - r0,
          width,
        ),
      ),
    );
    return ds;
  });
  register(FUSED_KERNELS.crossEntropy, (k, b, inputs, attrs) => {
    const logits = need(inputs, 'logits');
    const [rows, vocab] = logits.shape as [number, number];
    const loss = b.makeOutput([rows], 'float32');
    const lse = b.makeOutput([rows], 'float32');
    const [px, pl, ploss, plse] = [logits, need(inputs, 'labels'), loss, lse].map((t) =>
      heapOffset(b, t),
    ) as [number, number, number, number];
    const [smoothing, zLoss] = [attrs.labelSmoothing as number, attrs.zLoss as number];
    const bad = runFused(b, k, rows * vocab, 'heavy', (threads) =>
      perBlock(rows, threads, (r0, r1) =>
        call(
          'crossEntropyForward',
          rowAt(px, r0, vocab),
          rowAt(pl, r0, 1),
          rowAt(ploss, r0, 1),
          rowAt(plse, r0, 1),
          r1 - r0,
          vocab,
          smoothing,
          zLoss,
        ),
      ),
    ).reduce((x, y) => x + y, 0);
    // The outputs are freed by `register` when a kernel throws.
    if (bad > 0) throw new FusedLabelError(bad);
    return [loss, lse];
  });
  register(FUSED_KERNELS.crossEntropyGrad, (k, b, inputs, attrs) => {
    const logits = need(inputs, 'logits');
    const labels = need(inputs, 'labels');
    const [rows, vocab] = logits.shape as [number, number];
    const grad = b.makeOutput([rows, vocab], 'float32');
    const c = perLabelScale(b, labels, b.typedArrayFromHeap(need(inputs, 'dLoss'))[0]!);
    const [px, pl, plse, pg] = [logits, labels, need(inputs, 'lse'), grad].map((t) => heapOffset(b, t)) as [
      number,
      number,
      number,
      number,
    ];
    const [smoothing, zLoss] = [attrs.labelSmoothing as number, attrs.zLoss as number];
    runFused(b, k, rows * vocab, 'heavy', (threads) =>
      perBlock(rows, threads, (r0, r1) =>
        call(
          'crossEntropyBackward',
          rowAt(px, r0, vocab),
          rowAt(pl, r0, 1),
          rowAt(plse, r0, 1),
          rowAt(pg, r0, vocab),
          r1 - r0,
          vocab,
          smoothing,
          zLoss,
          c,
        ),
      ),
    );
    return grad;
  });
}

/** Elements each kernel runs on in the warm-up: enough loop iterations to use up V8's tier-up budget. */
const WARM_UP_ELEMENTS = 1 << 16;

/**
 * Runs every kernel once on a zeroed scratch block. V8 runs a wasm function in its baseline compiler
 * (Liftoff, several times slower on SIMD code) until a budget of loop iterations is spent, then
 * compiles it optimised in the background for its NEXT call: without this, each kernel's first call in
 * a model step (the cross-entropy's only one) would run unoptimised.
 */
function warmUp(k: FusedExports, backend: WasmBackendInternals): void {
  const n = WARM_UP_ELEMENTS;
  const bytes = 4 * n;
  withScratch(backend, 6 * bytes, (base) => {
    const memory = backend.wasm.asm?.memory;
    if (memory === undefined) return;
    new Uint8Array(memory.buffer, base, 6 * bytes).fill(0);
    const [a, b, c, d, e, f] = [0, 1, 2, 3, 4, 5].map((i) => base + i * bytes) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const d0 = 1024;
    const rows = n / d0;
    k.rmsNormForward(a, b, c, d, rows, d0, 1e-6);
    k.rmsNormBackward(a, b, c, d, e, f, rows, d0);
    for (const mode of Object.values(FUSED_ACTIVATION_MODES)) {
      k.activationForward(a, b, c, n, mode);
      k.activationBackward(a, b, c, d, e, n, mode);
    }
    k.maskedSoftmax(a, b, c, d, 1, 1, n / 128, 128, 0, 0, 128, 0, 0, 128);
    k.softmaxBackward(a, b, c, n / 128, 128);
    // Labels are the zeroed block b: class 0 everywhere.
    k.crossEntropyForward(a, b, c, d, 4, n / 4, 0, 0);
    k.crossEntropyBackward(a, b, d, e, 4, n / 4, 0, 0, 1);
  });
}

/**
 * Registers this module's kernels on the wasm backend; resolves to the compiled module (for the thread
 * pool's workers), or undefined when the kernels could not be installed.
 */
export async function installFusedKernels(
  backend: WasmBackendInternals,
): Promise<WebAssembly.Module | undefined> {
  const loaded = await loadKernelModule<FusedExports>(backend, wasmBase64);
  if (loaded === undefined) return undefined;
  warmUp(loaded.exports, backend);
  fused = { exports: loaded.exports, backend };
  registerAll();
  return loaded.module;
}
