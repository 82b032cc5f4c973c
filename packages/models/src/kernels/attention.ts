/**
 * T5 attention sublayers, `x + Attention(RMSNorm(x))`, as single differentiable ops. Scores are
 * `q·kᵀ` with no 1/√d scaling, plus the shared position bias and an additive mask. The gradient
 * recomputes the sublayer from its input instead of keeping activations on the tape (activation
 * checkpointing): the tape then holds one `[tokens, d_model]` tensor per sublayer, which is what lets a
 * batch of 8 flan-t5-small examples train inside the 4 GiB WASM heap.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D, Tensor2D, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import { keyedOp } from './customOp';
import { applyDropout, type DropoutSpec } from './dropout';
import { loraDropout, project, projectGrads, type Projection } from './projection';
import { rmsNormForward, rmsNormGrads } from './rmsNorm';
import { maskedSoftmax, softmaxGrad } from './softmax';
import { hasKernel } from './wasm/runtime';
import { FLAN_HEAD_CONTEXT, FLAN_HEAD_SCORES } from './wasm/gemm';

/** Weights of one attention sublayer (HF `layer.N.layer_norm` and `SelfAttention` / `EncDecAttention`). */
export interface AttentionWeights {
  norm: Tensor1D;
  q: Projection;
  k: Projection;
  v: Projection;
  o: Projection;
}

const PROJECTIONS = ['q', 'k', 'v', 'o'] as const;

export interface AttentionGeometry {
  batch: number;
  queryLen: number;
  keyLen: number;
  heads: number;
  dKv: number;
  eps: number;
}

/** Value used for masked scores: HF uses float32's minimum; any value that underflows exp() is exact. */
export const MASKED_SCORE = -1e9;

/** `[batch·len, heads·dKv]` → `[batch, heads, len, dKv]` (a reshape alone for one position: a decoding step). */
export function splitHeads(x: Tensor2D, batch: number, len: number, heads: number, dKv: number): Tensor4D {
  if (len === 1) return tf.reshape(x, [batch, heads, 1, dKv]);
  return tf.tidy(() => tf.transpose(tf.reshape(x, [batch, len, heads, dKv]), [0, 2, 1, 3]) as Tensor4D);
}

/** `[batch, heads, len, dKv]` → `[batch·len, heads·dKv]`. */
export function mergeHeads(x: Tensor4D): Tensor2D {
  const [batch, heads, len, dKv] = x.shape;
  if (len === 1) return tf.reshape(x, [batch, heads * dKv]);
  return tf.tidy(() => tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [batch * len, heads * dKv]) as Tensor2D);
}

/**
 * Per-head queries, keys or values: split `[batch, heads, len, dKv]`, or (where the wasm GEMM reads
 * heads in place) the projection's own `[batch·len, heads·dKv]`, which saves two transposes per use.
 */
export type Heads = Tensor2D | Tensor4D;

/** The layout attention works in on the active backend: a projection's output as `Heads`. */
function toHeads(x: Tensor2D, batch: number, len: number, heads: number, dKv: number): Heads {
  return hasKernel(FLAN_HEAD_SCORES) ? x : splitHeads(x, batch, len, heads, dKv);
}

/** `a·bᵀ` per head: `[batch, heads, lenA, lenB]`. */
function headScores(a: Heads, b: Heads, batch: number, heads: number): Tensor4D {
  if (a.rank === 2 && b.rank === 2) {
    return tf.engine().runKernel(FLAN_HEAD_SCORES, { a, b }, { batch, heads }) as Tensor4D;
  }
  return tf.matMul(a as Tensor4D, b as Tensor4D, false, true);
}

/** `p·v` (`transposeP`: `pᵀ·v`) per head for `p` `[batch, heads, ., .]`, merged: `[batch·len, heads·dKv]`. */
function headContext(p: Tensor4D, v: Heads, transposeP = false): Tensor2D {
  if (v.rank === 2) return tf.engine().runKernel(FLAN_HEAD_CONTEXT, { p, v }, { transposeP }) as Tensor2D;
  return mergeHeads(tf.matMul(p, v as Tensor4D, transposeP, false) as Tensor4D);
}

/**
 * `softmax(q·kᵀ + bias + mask)`: `[batch, heads, queryLen, keyLen]`. `q` and `k` in the
 * `[batch·len, heads·dKv]` layout need `layout`.
 */
export function attentionProbs(
  q: Heads,
  k: Heads,
  bias?: Tensor,
  mask?: Tensor,
  layout: { batch: number; heads: number } = { batch: q.shape[0], heads: q.shape[1] ?? 1 },
): Tensor4D {
  return tf.tidy(() => maskedSoftmax(headScores(q, k, layout.batch, layout.heads), bias, mask) as Tensor4D);
}

/**
 * Projected keys and values, as a decoder cache holds them per sublayer, in the layout attention reads
 * on the active backend: `[batch, len, heads·dKv]` where the wasm kernels read heads in place, else
 * `[batch, heads, len, dKv]` (so a decoding step transposes only its new position, never the cache).
 */
export interface KeyValues {
  k: Tensor3D | Tensor4D;
  v: Tensor3D | Tensor4D;
}

/** A teacher-forced sublayer's inputs (everything here can be differentiated but the mask). */
interface Inputs {
  x: Tensor2D;
  w: AttentionWeights;
  /** Keys/values source for cross-attention (encoder output `[batch·keyLen, d]`); self-attention when absent. */
  kv?: Tensor2D;
  bias?: Tensor;
  mask?: Tensor;
}

/** Cached keys or values as `Heads`. */
function cachedHeads(cached: Tensor3D | Tensor4D): Heads {
  return cached.rank === 3 ? (tf.reshape(cached, [-1, cached.shape[2]]) as Tensor2D) : (cached as Tensor4D);
}

/**
 * `Heads` as a cache keeps them: always a new tensor (sharing the data), since reused cross-attention
 * keys would otherwise be the very tensor of the previous cache, which its owner disposes.
 */
function toCached(heads: Heads, batch: number): Tensor3D | Tensor4D {
  return heads.rank === 2
    ? (tf.reshape(heads, [batch, -1, heads.shape[1]]) as Tensor3D)
    : (tf.clone(heads) as Tensor4D);
}

/** The new positions' keys or values appended to the cached ones. */
function appendHeads(past: Tensor3D | Tensor4D, heads: Heads, batch: number): Heads {
  if (heads.rank === 4) return tf.concat([past as Tensor4D, heads as Tensor4D], 2);
  const width = heads.shape[1];
  return tf.reshape(tf.concat([past, tf.reshape(heads, [batch, -1, width])], 1), [-1, width]) as Tensor2D;
}

export interface CachedInputs extends Omit<Inputs, 'kv'> {
  kv?: Tensor2D | KeyValues;
  past?: KeyValues;
}

function forwardWithActivations(inp: CachedInputs, geo: AttentionGeometry, drop: DropoutSpec | undefined) {
  const { batch, queryLen, keyLen, heads, dKv, eps } = geo;
  const { y: n, r } = rmsNormForward(inp.x, inp.w.norm, eps);
  const projected = inp.kv !== undefined && !(inp.kv instanceof tf.Tensor) ? inp.kv : undefined;
  const src = projected === undefined ? ((inp.kv as Tensor2D | undefined) ?? n) : n;
  const q = toHeads(project(n, inp.w.q, loraDropout(inp.w.q, drop, 'q')), batch, queryLen, heads, dKv);
  let k: Heads;
  let v: Heads;
  if (projected !== undefined) {
    k = cachedHeads(projected.k);
    v = cachedHeads(projected.v);
  } else {
    // Self-attention with a cache projects only the new positions, as many as the queries.
    const len = inp.past !== undefined ? queryLen : keyLen;
    k = toHeads(project(src, inp.w.k, loraDropout(inp.w.k, drop, 'k')), batch, len, heads, dKv);
    v = toHeads(project(src, inp.w.v, loraDropout(inp.w.v, drop, 'v')), batch, len, heads, dKv);
    if (inp.past !== undefined) {
      k = appendHeads(inp.past.k, k, batch);
      v = appendHeads(inp.past.v, v, batch);
    }
  }
  const probs = attentionProbs(q, k, inp.bias, inp.mask, { batch, heads });
  const dropped = applyDropout(probs, drop, 0);
  const a = headContext(dropped, v);
  const out = project(a, inp.w.o, loraDropout(inp.w.o, drop, 'o'));
  const y = tf.add(inp.x, applyDropout(out, drop, 1)) as Tensor2D;
  return { n, r, src, q, k, v, probs, dropped, a, y };
}

/** The sublayer's output without keeping anything for a gradient (inference). */
export function attentionSublayerForward(inp: Inputs, geo: AttentionGeometry, drop?: DropoutSpec): Tensor2D {
  return tf.tidy(() => forwardWithActivations(inp, geo, drop).y);
}

/**
 * One incremental step of the sublayer (inference, no dropout): the output for the new positions and
 * the keys and values a cache keeps for the next step. `geo.keyLen` counts every key: past and new.
 */
export function cachedAttentionSublayer(
  inp: CachedInputs,
  geo: AttentionGeometry,
): { y: Tensor2D; keyValues: KeyValues } {
  return tf.tidy(() => {
    const f = forwardWithActivations(inp, geo, undefined);
    return { y: f.y, keyValues: { k: toCached(f.k, geo.batch), v: toCached(f.v, geo.batch) } };
  });
}

/** The activations the gradient needs (kept from the forward pass, or recomputed). */
interface Activations {
  n: Tensor2D;
  r: Tensor2D;
  src: Tensor2D;
  q: Heads;
  k: Heads;
  v: Heads;
  probs: Tensor4D;
  dropped: Tensor4D;
  a: Tensor2D;
}

/** Names of the differentiable inputs; a projection's adapter is `q.lora_a`, `q.lora_b`, ... */
type InputName =
  | 'x'
  | 'norm'
  | 'kv'
  | 'bias'
  | (typeof PROJECTIONS)[number]
  | `${(typeof PROJECTIONS)[number]}.lora_${'a' | 'b'}`;

function backward(
  dy: Tensor2D,
  inp: Inputs,
  f: Activations,
  geo: AttentionGeometry,
  drop: DropoutSpec | undefined,
  wanted: ReadonlySet<InputName>,
): Partial<Record<InputName, Tensor>> {
  const { batch, queryLen, heads, dKv } = geo;
  const { w } = inp;
  const out: Partial<Record<InputName, Tensor>> = {};
  const grads = (name: (typeof PROJECTIONS)[number], d: Tensor2D, x: Tensor2D): Tensor2D => {
    const g = projectGrads(d, x, w[name], wanted.has(name), loraDropout(w[name], drop, name));
    if (g.dw !== undefined) out[name] = g.dw;
    if (g.da !== undefined) out[`${name}.lora_a`] = g.da;
    if (g.db !== undefined) out[`${name}.lora_b`] = g.db;
    return g.dx;
  };
  const dOut = applyDropout(dy, drop, 1);
  const dA = toHeads(grads('o', dOut, f.a), batch, queryLen, heads, dKv);
  const dDropped = headScores(dA, f.v, batch, heads);
  const dV = headContext(f.dropped, dA, true);
  const dProbs = applyDropout(dDropped, drop, 0);
  const dScores = softmaxGrad(f.probs, dProbs) as Tensor4D;
  const dQ = headContext(dScores, f.k);
  const dK = headContext(dScores, f.q, true);
  const dnQ = grads('q', dQ, f.n);
  const dSrc = tf.add(grads('k', dK, f.src), grads('v', dV, f.src)) as Tensor2D;
  const dn = inp.kv === undefined ? (tf.add(dnQ, dSrc) as Tensor2D) : dnQ;
  const gNorm = rmsNormGrads(dn, inp.x, w.norm, f.r);
  out.x = tf.add(dy, gNorm.dx);
  out.norm = gNorm.dw;
  if (inp.kv !== undefined) out.kv = dSrc;
  if (inp.bias !== undefined && wanted.has('bias')) out.bias = tf.sum(dScores, 0, true);
  return out;
}

const ACTIVATION_KEYS = ['n', 'r', 'q', 'k', 'v', 'probs', 'a'] as const;

/**
 * `x + Attention(RMSNorm(x))` for `x` `[batch·queryLen, d]`, differentiable with respect to `x`, the
 * weights, `kv` and `bias` (the mask is not differentiated). With `recompute`, only the inputs are
 * kept for the gradient, which reruns the sublayer (activation checkpointing: less memory, ~1/3 more
 * compute); otherwise the few activations the gradient needs are kept, not every intermediate.
 */
export function attentionSublayer(
  inp: Inputs,
  geo: AttentionGeometry,
  drop?: DropoutSpec,
  recompute = false,
): Tensor2D {
  const { x, w, kv, bias, mask } = inp;
  const inputs: Partial<Record<InputName, Tensor>> = { x, norm: w.norm, kv, bias };
  for (const name of PROJECTIONS) {
    inputs[name] = w[name].w;
    inputs[`${name}.lora_a`] = w[name].lora?.a;
    inputs[`${name}.lora_b`] = w[name].lora?.b;
  }
  return keyedOp(inputs, (save) => {
    const kept = [x, ...(kv ? [kv] : []), ...(bias ? [bias] : []), ...(mask ? [mask] : [])];
    let value: Tensor2D;
    if (recompute) {
      value = attentionSublayerForward(inp, geo, drop);
      save(kept);
    } else {
      const f = tf.tidy(() => {
        const all = forwardWithActivations(inp, geo, drop);
        // Without dropout the dropped probabilities are the probabilities: keep one copy.
        const dropping = drop !== undefined && drop.rate > 0;
        return {
          y: all.y,
          acts: [...ACTIVATION_KEYS.map((key) => all[key]), ...(dropping ? [all.dropped] : [])],
        };
      });
      value = f.y;
      save([...kept, ...f.acts]);
      // save() keeps its own references; these copies are not needed any more.
      tf.dispose([...new Set(f.acts)]);
    }
    return {
      value,
      gradFunc: (dy, saved, wanted) => {
        let j = 0;
        const xs = saved[j++] as Tensor2D;
        const kvs = kv ? (saved[j++] as Tensor2D) : undefined;
        const bs = bias ? saved[j++] : undefined;
        const ms = mask ? saved[j++] : undefined;
        const sInp = { x: xs, w, kv: kvs, bias: bs, mask: ms };
        const grads = tf.tidy(() => {
          let f: Activations;
          if (recompute) {
            f = forwardWithActivations(sInp, geo, drop);
          } else {
            const [n, r, q2, k2, v2, probs, a, dropped] = saved.slice(j) as [
              Tensor2D,
              Tensor2D,
              Heads,
              Heads,
              Heads,
              Tensor4D,
              Tensor2D,
              Tensor4D | undefined,
            ];
            f = { n, r, src: kvs ?? n, q: q2, k: k2, v: v2, probs, a, dropped: dropped ?? probs };
          }
          return backward(dy as Tensor2D, sInp, f, geo, drop, wanted) as tf.NamedTensorMap;
        });
        for (const s of saved) s.dispose();
        return grads;
      },
    };
  }) as Tensor2D;
}
