/**
 * The self-attention sublayer of a decoder-only block (HF `LlamaAttention` / `Qwen3Attention`, eager):
 * `x + o_proj(Attn(RMSNorm(x)))`, with grouped-query attention, optional per-head q/k RMSNorm (Qwen3)
 * before rotary, and keys/values of earlier positions (the KV cache) in front of the new ones.
 *
 * One forward serves teacher forcing, prefill and cached decoding; the differentiable op wraps the
 * same forward and adds a hand-written backward (no past keys there). GQA never repeats keys: the
 * G = heads / kvHeads query heads that share a kv head are stacked as `[batch, kvHeads, G·len, D]`
 * rows, so each batched matmul reads every key once.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D, Tensor2D, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import { keyedOp } from './customOp';
import { dense, denseGrads, denseInputs, type Dense, type DenseInputName } from './dense';
import type { DropoutSpec } from './dropout';
import { loraDropout } from './projection';
import { rmsNormForward, rmsNormGrads } from './rmsNorm';
import { applyRotary, applyRotaryGrad, type RotaryTables } from './rope';
import { maskedSoftmax, softmaxGrad } from './softmax';

export interface CausalAttentionWeights {
  /** `input_layernorm.weight`. */
  norm: Tensor1D;
  q: Dense;
  k: Dense;
  v: Dense;
  o: Dense;
  /** Qwen3's `q_norm` / `k_norm` weights `[headDim]`. */
  qNorm?: Tensor1D;
  kNorm?: Tensor1D;
}

export interface CausalAttentionGeometry {
  batch: number;
  /** New positions per row. */
  queryLen: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  eps: number;
}

/** Keys (rotated) and values of one layer, `[batch, kvHeads, len, headDim]`. */
export interface KeyValues {
  key: Tensor4D;
  value: Tensor4D;
}

export interface CausalAttentionInputs {
  /** `[batch·queryLen, hidden]`. */
  x: Tensor2D;
  w: CausalAttentionWeights;
  rotary: RotaryTables;
  /** Additive, `[batch, 1, G·queryLen, keyLen]` (see {@link groupedMask}). */
  mask: Tensor4D;
  past?: KeyValues;
  /** The training pass's dropout of this sublayer: seeds the adapters' input dropout ({@link loraDropout}). */
  drop?: DropoutSpec;
}

/** A `[batch, 1, queryLen, keyLen]` mask repeated for the G query heads of each kv head. */
export function groupedMask(mask: Tensor4D, groups: number): Tensor4D {
  // Concat, not tile: wasm's Tile is ~30x slower here.
  return groups === 1 ? tf.clone(mask) : tf.concat(new Array<Tensor4D>(groups).fill(mask), 2);
}

/** `[N, heads, D]` (token-major) ↔ `[batch, kvHeads, G·len, D]` (grouped heads). */
function toGroupedHeads(x: Tensor, geo: CausalAttentionGeometry): Tensor4D {
  const { batch, queryLen: t, heads, kvHeads, headDim: d } = geo;
  const perHead = tf.transpose(tf.reshape(x, [batch, t, heads, d]), [0, 2, 1, 3]);
  return tf.reshape(perHead, [batch, kvHeads, (heads / kvHeads) * t, d]);
}

function fromGroupedHeads(x: Tensor4D, geo: CausalAttentionGeometry): Tensor2D {
  const { batch, queryLen: t, heads, headDim: d } = geo;
  return tf.reshape(tf.transpose(tf.reshape(x, [batch, heads, t, d]), [0, 2, 1, 3]), [batch * t, heads * d]);
}

/** Per-head RMSNorm of `[N, heads, D]` over D, and the reciprocal RMS the gradient needs. */
function headNorm(x: Tensor3D, w: Tensor1D, eps: number): { y: Tensor3D; r: Tensor2D } {
  const [n, h, d] = x.shape;
  const { y, r } = rmsNormForward(tf.reshape(x, [n * h, d]), w, eps);
  return { y: tf.reshape(y, [n, h, d]), r };
}

function forwardWithActivations(inp: CausalAttentionInputs, geo: CausalAttentionGeometry) {
  const { batch, queryLen, heads, kvHeads, headDim: d, eps } = geo;
  const tokens = batch * queryLen;
  const { w } = inp;
  const drop = (name: 'q' | 'k' | 'v' | 'o') => loraDropout(w[name].p, inp.drop, name);
  const { y: n, r } = rmsNormForward(inp.x, w.norm, eps);
  let q = tf.reshape(dense(n, w.q, drop('q')), [tokens, heads, d]) as Tensor3D;
  let k = tf.reshape(dense(n, w.k, drop('k')), [tokens, kvHeads, d]) as Tensor3D;
  const v = dense(n, w.v, drop('v'));
  // Before the per-head norms (what their gradient needs); unused without them.
  let qPre: Tensor3D | undefined;
  let kPre: Tensor3D | undefined;
  let rq: Tensor2D | undefined;
  let rk: Tensor2D | undefined;
  if (w.qNorm !== undefined && w.kNorm !== undefined) {
    qPre = q;
    kPre = k;
    ({ y: q, r: rq } = headNorm(q, w.qNorm, eps));
    ({ y: k, r: rk } = headNorm(k, w.kNorm, eps));
  }
  const qg = toGroupedHeads(applyRotary(q, inp.rotary), geo);
  let key = tf.transpose(tf.reshape(applyRotary(k, inp.rotary), [batch, queryLen, kvHeads, d]), [0, 2, 1, 3]);
  let value = tf.transpose(tf.reshape(v, [batch, queryLen, kvHeads, d]), [0, 2, 1, 3]);
  if (inp.past !== undefined) {
    key = tf.concat([inp.past.key, key], 2);
    value = tf.concat([inp.past.value, value], 2);
  }
  const scores = tf.mul(tf.matMul(qg, key, false, true), tf.scalar(d ** -0.5));
  const probs = maskedSoftmax(scores, undefined, inp.mask) as Tensor4D;
  const context = fromGroupedHeads(tf.matMul(probs, value), geo);
  const y = tf.add(inp.x, dense(context, w.o, drop('o'))) as Tensor2D;
  return { n, r, qPre, kPre, rq, rk, qg, key: key as Tensor4D, value: value as Tensor4D, probs, context, y };
}

/** The sublayer's output and the layer's keys/values (past and new), keeping nothing for a gradient. */
export function causalAttentionForward(
  inp: CausalAttentionInputs,
  geo: CausalAttentionGeometry,
): { y: Tensor2D; kv: KeyValues } {
  return tf.tidy(() => {
    const f = forwardWithActivations(inp, geo);
    return { y: f.y, kv: { key: f.key, value: f.value } };
  }) as unknown as { y: Tensor2D; kv: KeyValues };
}

type InputName = 'x' | 'norm' | 'q_norm' | 'k_norm' | DenseInputName<'q' | 'k' | 'v' | 'o'>;

interface Saved {
  n: Tensor2D;
  r: Tensor2D;
  qPre?: Tensor3D;
  kPre?: Tensor3D;
  rq?: Tensor2D;
  rk?: Tensor2D;
  qg: Tensor4D;
  key: Tensor4D;
  value: Tensor4D;
  probs: Tensor4D;
  context: Tensor2D;
}

function backward(
  dy: Tensor2D,
  inp: CausalAttentionInputs,
  f: Saved,
  geo: CausalAttentionGeometry,
  wanted: ReadonlySet<InputName>,
): Partial<Record<InputName, Tensor>> {
  const { batch, queryLen, heads, kvHeads, headDim: d } = geo;
  const tokens = batch * queryLen;
  const { w } = inp;
  const drop = (name: 'q' | 'k' | 'v' | 'o') => loraDropout(w[name].p, inp.drop, name);
  const out: Partial<Record<InputName, Tensor>> = {};
  const dContext = toGroupedHeads(denseGrads('o', dy, f.context, w.o, wanted, out, drop('o')), geo);
  const dProbs = tf.matMul(dContext, f.value, false, true);
  const dValue = tf.matMul(f.probs, dContext, true, false);
  const dScores = tf.mul(softmaxGrad(f.probs, dProbs), tf.scalar(d ** -0.5)) as Tensor4D;
  const dQg = tf.matMul(dScores, f.key) as Tensor4D;
  const dKey = tf.matMul(dScores, f.qg, true, false);
  let dq = applyRotaryGrad(tf.reshape(fromGroupedHeads(dQg, geo), [tokens, heads, d]), inp.rotary);
  let dk = applyRotaryGrad(tf.reshape(tf.transpose(dKey, [0, 2, 1, 3]), [tokens, kvHeads, d]), inp.rotary);
  const dv = tf.reshape(tf.transpose(dValue, [0, 2, 1, 3]), [tokens, kvHeads * d]) as Tensor2D;
  if (w.qNorm !== undefined && w.kNorm !== undefined) {
    const gq = rmsNormGrads(
      tf.reshape(dq, [tokens * heads, d]),
      tf.reshape(f.qPre!, [tokens * heads, d]),
      w.qNorm,
      f.rq!,
    );
    const gk = rmsNormGrads(
      tf.reshape(dk, [tokens * kvHeads, d]),
      tf.reshape(f.kPre!, [tokens * kvHeads, d]),
      w.kNorm,
      f.rk!,
    );
    dq = tf.reshape(gq.dx, [tokens, heads, d]);
    dk = tf.reshape(gk.dx, [tokens, kvHeads, d]);
    if (wanted.has('q_norm')) out.q_norm = gq.dw;
    if (wanted.has('k_norm')) out.k_norm = gk.dw;
  }
  const dn = tf.addN([
    denseGrads('q', tf.reshape(dq, [tokens, heads * d]), f.n, w.q, wanted, out, drop('q')),
    denseGrads('k', tf.reshape(dk, [tokens, kvHeads * d]), f.n, w.k, wanted, out, drop('k')),
    denseGrads('v', dv, f.n, w.v, wanted, out, drop('v')),
  ]) as Tensor2D;
  const gNorm = rmsNormGrads(dn, inp.x, w.norm, f.r);
  out.x = tf.add(dy, gNorm.dx);
  if (wanted.has('norm')) out.norm = gNorm.dw;
  return out;
}

const SAVED_KEYS = ['n', 'r', 'qPre', 'kPre', 'rq', 'rk', 'qg', 'key', 'value', 'probs', 'context'] as const;

/**
 * {@link causalAttentionForward}'s output as a differentiable op (teacher forcing, no past keys),
 * with respect to `x` and every weight, bias, adapter and norm. Keeps the activations the backward
 * pass needs, not every intermediate; with `recompute`, only the inputs, and the backward pass reruns
 * the forward (activation checkpointing: less memory, about a third more compute).
 */
export function causalAttentionSublayer(
  inp: CausalAttentionInputs,
  geo: CausalAttentionGeometry,
  recompute = false,
): Tensor2D {
  if (inp.past !== undefined)
    throw new Error('causalAttentionSublayer: gradients through a KV cache are not supported');
  const { x, w } = inp;
  const inputs: Partial<Record<InputName, Tensor>> = { x, norm: w.norm, q_norm: w.qNorm, k_norm: w.kNorm };
  for (const name of ['q', 'k', 'v', 'o'] as const) denseInputs(name, w[name], inputs);
  return keyedOp(inputs, (save) => {
    // The constants are saved too: the caller's copies are freed before the backward pass runs.
    const constants = [x, inp.mask, inp.rotary.cos, inp.rotary.sin];
    let value: Tensor2D;
    let kept: (Tensor | undefined)[] = [];
    if (recompute) {
      value = causalAttentionForward(inp, geo).y;
      save(constants);
    } else {
      const f = tf.tidy(() => {
        const all = forwardWithActivations(inp, geo);
        return { y: all.y, acts: SAVED_KEYS.map((key) => all[key]) };
      }) as unknown as { y: Tensor2D; acts: (Tensor | undefined)[] };
      value = f.y;
      kept = f.acts;
      const present = kept.filter((t): t is Tensor => t !== undefined);
      save([...constants, ...present]);
      tf.dispose([...new Set(present)]);
    }
    return {
      value,
      gradFunc: (dy, saved, wanted) => {
        const [xs, mask, cos, sin, ...rest] = saved as Tensor[];
        const sInp: CausalAttentionInputs = {
          x: xs as Tensor2D,
          w,
          mask: mask as Tensor4D,
          rotary: { cos: cos as Tensor3D, sin: sin as Tensor3D },
          ...(inp.drop !== undefined ? { drop: inp.drop } : {}),
        };
        const grads = tf.tidy(() => {
          let acts: Saved;
          if (recompute) {
            acts = forwardWithActivations(sInp, geo);
          } else {
            let j = 0;
            acts = Object.fromEntries(
              SAVED_KEYS.map((key, i) => [key, kept[i] === undefined ? undefined : rest[j++]]),
            ) as unknown as Saved;
          }
          return backward(dy as Tensor2D, sInp, acts, geo, wanted) as tf.NamedTensorMap;
        });
        for (const t of saved) t.dispose();
        return grads;
      },
    };
  }) as Tensor2D;
}
