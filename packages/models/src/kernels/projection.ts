/**
 * A dense projection `y = x·Wᵀ`, optionally with a LoRA adapter on top (PEFT semantics:
 * `y = x·Wᵀ + (α/r)·(x·Aᵀ)·Bᵀ`, A `[r, in]`, B `[out, r]`). The base weight is never copied or changed:
 * the adapter is added beside it, as PEFT's `LoraLayer` wraps its base layer.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor2D } from '@tensorflow/tfjs-core';
import { applyDropout, dropoutAt, type DropoutSpec } from './dropout';
import { ModelInputError } from '../model-input-error';
import { linear, linearGrads } from './linear';

export interface LoraWeights {
  /** `lora_A.weight`, `[r, in]`. */
  a: Tensor2D;
  /** `lora_B.weight`, `[out, r]`. */
  b: Tensor2D;
  /** `lora_alpha / r`. */
  scale: number;
  /** PEFT's `lora_dropout`: dropout on the adapter's input in training (default 0). */
  dropout?: number;
}

export interface Projection {
  /** The base weight in Hugging Face layout `[out, in]`. */
  w: Tensor2D;
  lora?: LoraWeights;
}

/**
 * Attaches `lora` to the dense layer `p` of module path `module` (its shapes and dropout checked), or
 * removes the adapter with `undefined`: what every model's `setLora` does.
 */
export function attachLora(p: Projection | undefined, module: string, lora: LoraWeights | undefined): void {
  if (p === undefined) throw new ModelInputError('is not a dense layer of this model', module);
  if (lora === undefined) {
    delete p.lora;
    return;
  }
  const [out, inp] = p.w.shape;
  if (lora.a.shape[1] !== inp || lora.b.shape[0] !== out || lora.b.shape[1] !== lora.a.shape[0]) {
    throw new ModelInputError(
      `LoRA shapes A [${lora.a.shape.join(', ')}], B [${lora.b.shape.join(', ')}] do not fit the weight [${out}, ${inp}]`,
      module,
    );
  }
  const dropout = lora.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1))
    throw new ModelInputError(`LoRA dropout ${dropout} is outside [0, 1)`, module);
  p.lora = lora;
}

/**
 * The adapter's input dropout for projection `name` of a sublayer in a training pass (`pass`, the
 * sublayer's dropout, whatever the model's rate): undefined when there is none to apply.
 */
export function loraDropout(
  p: Projection,
  pass: DropoutSpec | undefined,
  name: string,
): DropoutSpec | undefined {
  const rate = p.lora?.dropout ?? 0;
  if (rate === 0 || pass === undefined) return undefined;
  return { rate, seed: dropoutAt(pass, `lora.${name}`)!.seed };
}

/**
 * `x·Wᵀ (+ scale·(dropout(x)·Aᵀ)·Bᵀ)` for `x` `[n, in]`; `drop` is the adapter's input dropout
 * ({@link loraDropout}), as PEFT applies `lora_dropout` before `lora_A`.
 */
export function project(x: Tensor2D, p: Projection, drop?: DropoutSpec): Tensor2D {
  if (p.lora === undefined) return linear(x, p.w);
  const { a, b, scale } = p.lora;
  // The adapter's products are small (rank r): plain transposed matmuls, no cached `[in, out]` copies
  // (the cache would keep one per adapter tensor alive after the adapter is gone).
  return tf.tidy(() => {
    const u = tf.matMul(applyDropout(x, drop), a, false, true);
    return tf.add(linear(x, p.w), tf.mul(tf.matMul(u, b, false, true), tf.scalar(scale))) as Tensor2D;
  });
}

export interface ProjectionGrads {
  dx: Tensor2D;
  dw?: Tensor2D;
  da?: Tensor2D;
  db?: Tensor2D;
}

/**
 * Gradients of {@link project} given `dy` `[n, out]` (and the forward's `drop`). `dw` only when `wantW` (a frozen base weight
 * costs no weight-gradient product); `da`/`db` whenever there is an adapter.
 */
export function projectGrads(
  dy: Tensor2D,
  x: Tensor2D,
  p: Projection,
  wantW = true,
  drop?: DropoutSpec,
): ProjectionGrads {
  return tf.tidy((): tf.TensorContainer => {
    const base = wantW ? linearGrads(dy, x, p.w) : { dx: tf.matMul(dy, p.w) as Tensor2D, dw: undefined };
    if (p.lora === undefined) return base as unknown as tf.TensorContainer;
    const { a, b, scale } = p.lora;
    // The same mask as the forward pass: it is drawn again from its seed, not kept.
    const xd = applyDropout(x, drop);
    const u = tf.matMul(xd, a, false, true) as Tensor2D; // [n, r]
    const gB = linearGrads(dy, u, b, scale); // dB = s·dyᵀu, du = s·dy·B
    const gA = linearGrads(gB.dx, xd, a); // dA = duᵀ·xd, dx += mask ⊙ du·A
    const dx = tf.add(base.dx, applyDropout(gA.dx, drop)) as Tensor2D;
    const out: ProjectionGrads = { dx, da: gA.dw, db: gB.dw };
    if (base.dw !== undefined) out.dw = base.dw;
    return out as unknown as tf.TensorContainer;
  }) as unknown as ProjectionGrads;
}
