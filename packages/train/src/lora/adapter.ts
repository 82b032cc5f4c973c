/**
 * LoRA adapters on a T5 model with PEFT's semantics: `y = x·Wᵀ + (α/r)·(x·Aᵀ)·Bᵀ` beside each
 * target dense layer, the base weights untouched. Only the adapter's tensors train; `mergeLora`
 * folds them into the base weights (`W += (α/r)·B·A`, PEFT's `merge`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor2D, Variable } from '@tensorflow/tfjs-core';
import { isDecoderOnly, type TrainableModel } from '../model';
import { createRng } from '@flan-ts/templates';
import { LoraConfigError, matchesTarget, resolveLoraConfig, type LoraConfig } from './config';

/** The A and B tensors of one wrapped module. */
export interface LoraModule {
  /** `lora_A.weight`, `[r, in]`. */
  a: Variable;
  /** `lora_B.weight`, `[out, r]`. */
  b: Variable;
}

/** PEFT's state-dict key of a module's tensor (adapter name `default` removed, as PEFT saves it). */
export function peftKey(module: string, which: 'A' | 'B'): string {
  return `base_model.model.${module}.lora_${which}.weight`;
}

export class LoraAdapter {
  private disposed = false;

  /** @internal Use {@link applyLora} or `loadLoraAdapter`. */
  constructor(
    readonly model: TrainableModel,
    readonly config: LoraConfig,
    readonly modules: ReadonlyMap<string, LoraModule>,
  ) {
    const scale = config.alpha / config.r;
    for (const [path, m] of modules) {
      model.setLora(path, {
        a: m.a as unknown as Tensor2D,
        b: m.b as unknown as Tensor2D,
        scale,
        dropout: config.dropout,
      });
    }
  }

  /** `lora_alpha / r`. */
  get scale(): number {
    return this.config.alpha / this.config.r;
  }

  /** The trainable tensors by PEFT key (`base_model.model.<module>.lora_A.weight`), in module order. */
  variables(): Map<string, Variable> {
    this.assertAlive();
    const out = new Map<string, Variable>();
    for (const [path, m] of this.modules) {
      out.set(peftKey(path, 'A'), m.a);
      out.set(peftKey(path, 'B'), m.b);
    }
    return out;
  }

  /** Removes the adapter from the model and frees its tensors. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const [path, m] of this.modules) {
      this.model.setLora(path, undefined);
      m.a.dispose();
      m.b.dispose();
    }
  }

  /** @internal */
  assertAlive(): void {
    if (this.disposed) throw new Error('LoraAdapter used after dispose() or mergeLora()');
  }
}

/** The model's dense layers that `targetModules` selects, in the model's order; none is an error. */
export function targetModulesOf(
  model: TrainableModel,
  config: LoraConfig,
): [string, readonly [number, number]][] {
  const found = [...model.adaptableModules()].filter(([path]) => matchesTarget(path, config.targetModules));
  if (found.length === 0) {
    throw new LoraConfigError(
      `${JSON.stringify(config.targetModules)} matches no dense layer of the model (e.g. q, k, v, o, wi_0, wi_1, wo)`,
      'target_modules',
    );
  }
  return found;
}

/**
 * Wraps the target modules of `model` with fresh adapters, initialised as PEFT does: A Kaiming-uniform
 * (`a = √5`, i.e. U(−1/√in, 1/√in)), B zeros, so the model's outputs are unchanged at first.
 */
export function applyLora(model: TrainableModel, config: Partial<LoraConfig> = {}, seed = 0): LoraAdapter {
  // PEFT's default targets per architecture: q and v for T5, q_proj and v_proj for Llama-family models.
  const targetModules = config.targetModules ?? (isDecoderOnly(model) ? ['q_proj', 'v_proj'] : ['q', 'v']);
  const c = resolveLoraConfig({ ...config, targetModules });
  // The project's seeded generator: adapters made with the same seed are identical.
  const rng = createRng(seed);
  const modules = new Map<string, LoraModule>();
  for (const [path, [out, inp]] of targetModulesOf(model, c)) {
    const bound = 1 / Math.sqrt(inp);
    const a = new Float32Array(c.r * inp);
    for (let i = 0; i < a.length; i++) a[i] = (2 * rng.next() - 1) * bound;
    modules.set(path, {
      a: variableFrom(tf.tensor2d(a, [c.r, inp]), `${path}.lora_A`),
      b: variableFrom(tf.zeros([out, c.r]), `${path}.lora_B`),
    });
  }
  return new LoraAdapter(model, c, modules);
}

let adapterCount = 0;

/** A trainable variable that owns `initial`'s buffer (tf.variable shares it: dispose the tensor). */
export function variableFrom(initial: tf.Tensor, name: string): Variable {
  const v = tf.variable(initial, true, `lora_${adapterCount++}/${name}`);
  initial.dispose();
  return v;
}

/**
 * Folds the adapter into the base weights (`W ← W + (α/r)·B·A`) and removes it: the model then
 * computes what model + adapter computed, with no adapter. The adapter is disposed.
 */
export function mergeLora(adapter: LoraAdapter): void {
  adapter.assertAlive();
  const params = adapter.model.parameters();
  for (const [path, m] of adapter.modules) {
    const w = params.get(`${path}.weight`);
    if (w === undefined) throw new Error(`mergeLora: the model has no parameter ${path}.weight`);
    adapter.model.setLora(path, undefined);
    const merged = tf.tidy(() => tf.add(w, tf.mul(tf.matMul(m.b, m.a), tf.scalar(adapter.scale))));
    w.assign(merged);
    merged.dispose();
  }
  adapter.dispose();
}
