/**
 * A decoder-only transformer (HF `LlamaForCausalLM`, `Qwen3ForCausalLM`, `MistralForCausalLM`,
 * `Qwen2ForCausalLM`), with the config as its only input:
 *
 *   h = embed_tokens[ids]                                  (no scaling)
 *   for each layer:  h += o_proj(Attn(RMSNorm₁(h)))         (GQA, rotary, Qwen3's q/k norms)
 *                    h += down(silu(gate(n)) · up(n)),  n = RMSNorm₂(h)
 *   logits = RMSNorm(h) · lm_headᵀ                          (tied: embed_tokensᵀ, no rescaling)
 *
 * Hidden states flow as 2-D `[batch·len, hidden]` tensors, so every dense layer is a plain 2-D
 * matmul. Teacher forcing, prefill and cached decoding run the same sublayer code (kernels/
 * causalAttention.ts, kernels/gatedMlp.ts); training wraps it in differentiable ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D, Tensor2D, Tensor3D, Tensor4D, Variable } from '@tensorflow/tfjs-core';
import { CheckpointError } from '../checkpoint/errors';
import { namedTensorsSync, readNamedTensors } from '../checkpoint/named-tensors';
import type { NamedFloat32Tensor } from '../checkpoint/safetensors';
import {
  causalAttentionForward,
  causalAttentionSublayer,
  groupedMask,
  type CausalAttentionGeometry,
  type CausalAttentionWeights,
  type KeyValues,
} from '../kernels/causalAttention';
import type { Dense } from '../kernels/dense';
import { dropoutAt, PassDropout } from '../kernels/dropout';
import { embeddingLookup } from '../kernels/embedding';
import { gatedMlpForward, gatedMlpSublayer, type GatedMlpWeights } from '../kernels/gatedMlp';
import { linear, linearOp, releaseTransposedWeight, transposedWeight } from '../kernels/linear';
import { attachLora, type LoraWeights, type Projection } from '../kernels/projection';
import { rmsNorm, rmsNormOp } from '../kernels/rmsNorm';
import { defaultPositions, rotaryTables } from '../kernels/rope';
import { ModelInputError } from '../model-input-error';
import type { DecoderCache } from '../t5/interface';
import { CausalKVCache } from './cache';
import type { CausalLMConfig } from './config';
import type { CausalDecodeOptions, CausalLM, CausalLMInputs } from './interface';
import { causalPaddingMask, packedCausalMask } from './masks';
import { expectedCausalTensors } from './parameters';
import { ropeInvFreq } from './rope';

interface Layer {
  attention: CausalAttentionWeights;
  mlp: GatedMlpWeights;
}

/** Options of a differentiable (training) pass. */
export interface CausalForwardOptions {
  /**
   * A training pass (default false: evaluation). Llama and Qwen3 train without hidden dropout
   * (`attention_dropout` 0), so this only switches on the LoRA adapters' input dropout.
   */
  training?: boolean;
  /** Seed of the dropout masks of this pass (default: a fresh one per call). */
  seed?: number;
  /**
   * Activation checkpointing: keep only each sublayer's input and recompute the rest in the backward
   * pass (less memory, about a third more compute). Default false.
   */
  recompute?: boolean;
}

interface RunOptions extends CausalForwardOptions {
  /** Differentiable ops (training); otherwise the forward alone, with keys/values returned. */
  differentiable: boolean;
  past?: CausalKVCache;
  /** Collect HF's `output_hidden_states` (inference only). */
  hiddenStates?: Tensor2D[];
  lastPositionOnly?: boolean;
}

let modelCount = 0;

export class CausalLMModel implements CausalLM {
  readonly architecture = 'causal' as const;
  readonly config: CausalLMConfig;
  private readonly params = new Map<string, Variable>();
  /** Every dense layer by Hugging Face module path (`model.layers.0.self_attn.q_proj`). */
  private readonly projections = new Map<string, Projection>();
  private readonly layers: Layer[] = [];
  private readonly invFreq: Tensor1D;
  private readonly id = modelCount++;
  private disposed = false;
  private readonly passDropout = new PassDropout(0);

  /**
   * Builds the model from Hugging Face tensors (`model.embed_tokens.weight`, ...). A tied model
   * needs no `lm_head.weight` (a stored copy is ignored). Throws `CheckpointError` naming a missing
   * or misshapen tensor.
   */
  static fromTensors(
    config: CausalLMConfig,
    tensors: ReadonlyMap<string, NamedFloat32Tensor>,
  ): CausalLMModel {
    return new CausalLMModel(config, tensors);
  }

  private constructor(config: CausalLMConfig, tensors: ReadonlyMap<string, NamedFloat32Tensor>) {
    this.config = config;
    this.invFreq = tf.keep(tf.tensor1d(ropeInvFreq(config), 'float32'));
    try {
      for (const { name, shape, required } of expectedCausalTensors(config)) {
        if (!required) continue;
        const t = tensors.get(name);
        if (t === undefined) throw new CheckpointError('missing tensor', undefined, name);
        if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
          throw new CheckpointError(
            `shape [${t.shape.join(', ')}] disagrees with the config, which implies [${shape.join(', ')}]`,
            undefined,
            name,
          );
        }
        if (t.data.length !== shape.reduce((a, b) => a * b, 1)) {
          throw new CheckpointError(
            `has ${t.data.length} values for shape [${shape.join(', ')}]`,
            undefined,
            name,
          );
        }
        // tf.variable shares the initial tensor's buffer: dispose the tensor so assign() frees old values.
        const initial = tf.tensor(t.data, [...shape], 'float32');
        this.params.set(name, tf.variable(initial, true, `causal_${this.id}/${name}`));
        initial.dispose();
      }
    } catch (error) {
      this.dispose();
      throw error;
    }
    for (let i = 0; i < config.numLayers; i++) this.layers.push(this.layer(i));
    for (const p of this.projections.values()) transposedWeight(p.w);
    transposedWeight(this.headWeight());
  }

  get vocabSize(): number {
    return this.config.vocabSize;
  }
  get eosTokenIds(): readonly number[] {
    return this.config.eosTokenIds;
  }
  get eosTokenId(): number {
    return this.config.eosTokenIds[0] ?? this.padTokenId;
  }
  get padTokenId(): number {
    return this.config.padTokenId ?? this.config.eosTokenIds[0] ?? 0;
  }

  /** The trainable parameters by Hugging Face name (tied models have no `lm_head.weight`). */
  parameters(): ReadonlyMap<string, Variable> {
    this.assertAlive();
    return this.params;
  }

  /** The dense layers an adapter can wrap, by PEFT module path, with their `[out, in]` shapes. */
  adaptableModules(): ReadonlyMap<string, readonly [number, number]> {
    this.assertAlive();
    return new Map([...this.projections].map(([name, p]) => [name, [p.w.shape[0], p.w.shape[1]] as const]));
  }

  /**
   * Adds a LoRA adapter beside a dense layer (`y = x·Wᵀ + scale·(x·Aᵀ)·Bᵀ`), or removes it with
   * `undefined`. The caller owns and disposes `a` and `b`.
   */
  setLora(module: string, lora: LoraWeights | undefined): void {
    this.assertAlive();
    attachLora(this.projections.get(module), module, lora);
  }

  /**
   * Every parameter as Hugging Face stores it (tied models without `lm_head.weight`), sorted by name.
   * Reads synchronously, which WebGPU in Node cannot: use {@link readTensors} there.
   */
  toTensors(): NamedFloat32Tensor[] {
    this.assertAlive();
    return namedTensorsSync([...this.params]);
  }

  /** {@link toTensors}, read asynchronously: works on every backend, WebGPU included. */
  async readTensors(): Promise<NamedFloat32Tensor[]> {
    this.assertAlive();
    return readNamedTensors([...this.params]);
  }

  /** Teacher-forced logits `[batch, len, vocab]` (no gradient bookkeeping). */
  forward(inputs: CausalLMInputs): Tensor3D {
    const [batch, len] = this.checkInputs(inputs, 0);
    return tf.tidy(() =>
      tf.reshape(this.run(inputs, { differentiable: false }).logits, [batch, len, this.vocabSize]),
    ) as Tensor3D;
  }

  /** Teacher-forced logits `[batch·len, vocab]`, differentiable with respect to `parameters()` and adapters. */
  forwardLogits2d(inputs: CausalLMInputs, options: CausalForwardOptions = {}): Tensor2D {
    this.checkInputs(inputs, 0);
    return tf.tidy(() => this.run(inputs, { ...options, differentiable: true }).logits);
  }

  /**
   * HF's `output_hidden_states`: the embeddings, the output of every layer but the last, and the
   * last layer's output after the final norm (`[batch, len, hidden]` each, numLayers + 1 entries).
   */
  hiddenStates(inputs: CausalLMInputs): Tensor3D[] {
    const [batch, len] = this.checkInputs(inputs, 0);
    return tf.tidy(() => {
      const states: Tensor2D[] = [];
      this.run(inputs, { differentiable: false, hiddenStates: states });
      return states.map((s) => tf.reshape(s, [batch, len, this.config.hiddenSize]) as Tensor3D);
    });
  }

  decode(
    inputs: CausalLMInputs,
    cache?: DecoderCache,
    options: CausalDecodeOptions = {},
  ): { logits: Tensor3D; cache: DecoderCache } {
    if (cache !== undefined && !(cache instanceof CausalKVCache)) {
      throw new ModelInputError('was not made by this model', 'cache');
    }
    if (inputs.segmentIds !== undefined)
      throw new ModelInputError('packed rows cannot be decoded with a cache', 'segmentIds');
    const [batch, len] = this.checkInputs(inputs, cache?.length ?? 0);
    if (cache !== undefined && cache.batchSize !== batch) {
      throw new ModelInputError(`batch ${cache.batchSize} differs from inputIds' batch ${batch}`, 'cache');
    }
    const out = tf.tidy(() => {
      const r = this.run(inputs, {
        differentiable: false,
        past: cache,
        lastPositionOnly: options.lastPositionOnly,
      });
      const rows = options.lastPositionOnly ? 1 : len;
      return {
        logits: tf.reshape(r.logits, [batch, rows, this.vocabSize]),
        kv: r.kv,
      } as unknown as tf.TensorContainer;
    }) as unknown as { logits: Tensor3D; kv: KeyValues[] };
    return { logits: out.logits, cache: new CausalKVCache(out.kv, (cache?.length ?? 0) + len) };
  }

  /** Frees the parameters. The model cannot be used afterwards. */
  /**
   * Frees the `[in, out]` copies of the dense weights that few-row products (decoding) multiply by;
   * they are made again on first use (see `T5Model.releaseTransposedCopies`; the trainer calls it).
   */
  releaseTransposedCopies(): void {
    this.assertAlive();
    for (const p of this.projections.values()) releaseTransposedWeight(p.w);
    releaseTransposedWeight(this.headWeight());
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.params.values()) {
      releaseTransposedWeight(v);
      v.dispose();
    }
    this.params.clear();
    this.invFreq.dispose();
  }

  // ---- the network ----------------------------------------------------------------------------

  private run(inputs: CausalLMInputs, options: RunOptions): { logits: Tensor2D; kv: KeyValues[] } {
    const { numHeads: heads, numKeyValueHeads: kvHeads, headDim, rmsNormEps: eps } = this.config;
    const [batch, len] = inputs.inputIds.shape;
    const past = options.past?.length ?? 0;
    const geo: CausalAttentionGeometry = { batch, queryLen: len, heads, kvHeads, headDim, eps };
    const mask = groupedMask(this.mask(inputs, past), heads / kvHeads);
    const positions = inputs.positionIds ?? defaultPositions(batch, len, past);
    const rotary = rotaryTables(tf.reshape(positions, [-1]) as Tensor1D, this.invFreq);
    let h = embeddingLookup(
      this.param('model.embed_tokens.weight'),
      tf.reshape(inputs.inputIds, [-1]) as Tensor1D,
      this.config.paddingIdx,
    );
    options.hiddenStates?.push(h);
    const kv: KeyValues[] = [];
    // Rate 0: no hidden dropout; the pass's spec seeds the adapters' input dropout.
    const drop = options.differentiable ? this.passDropout.of(options, 0) : undefined;
    this.layers.forEach((layer, i) => {
      if (options.differentiable) {
        const recompute = options.recompute ?? false;
        const attentionDrop = dropoutAt(drop, `layers.${i}.self_attn`);
        h = causalAttentionSublayer(
          { x: h, w: layer.attention, rotary, mask, ...(attentionDrop ? { drop: attentionDrop } : {}) },
          geo,
          recompute,
        );
        h = gatedMlpSublayer(h, layer.mlp, eps, recompute, dropoutAt(drop, `layers.${i}.mlp`));
      } else {
        const a = causalAttentionForward(
          { x: h, w: layer.attention, rotary, mask, past: options.past?.layers[i] },
          geo,
        );
        kv.push(a.kv);
        h = gatedMlpForward(a.y, layer.mlp, eps);
      }
      if (i < this.layers.length - 1) options.hiddenStates?.push(h);
    });
    const finalNorm = this.vector('model.norm.weight');
    let normed = options.differentiable ? rmsNormOp(h, finalNorm, eps) : rmsNorm(h, finalNorm, eps);
    options.hiddenStates?.push(normed);
    if (options.lastPositionOnly) {
      const last = Array.from({ length: batch }, (_, b) => b * len + len - 1);
      normed = tf.gather(normed, tf.tensor1d(last, 'int32'));
    }
    const head = this.headWeight();
    return { logits: options.differentiable ? linearOp(normed, head) : linear(normed, head), kv };
  }

  /** The additive mask `[batch, 1, len, past+len]` of these inputs. */
  private mask(inputs: CausalLMInputs, past: number): Tensor4D {
    const [batch, len] = inputs.inputIds.shape;
    if (inputs.segmentIds !== undefined) return packedCausalMask(inputs.segmentIds);
    const attentionMask = inputs.attentionMask ?? tf.ones([batch, past + len], 'int32');
    return causalPaddingMask(attentionMask as Tensor2D, len, past);
  }

  private headWeight(): Tensor2D {
    return this.param(this.config.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
  }

  // ---- parameters ------------------------------------------------------------------------------

  private param(name: string): Tensor2D {
    const v = this.params.get(name);
    if (v === undefined)
      throw new Error(this.disposed ? 'CausalLMModel used after dispose()' : `no parameter ${name}`);
    return v as unknown as Tensor2D;
  }

  private vector(name: string): Tensor1D {
    return this.param(name) as unknown as Tensor1D;
  }

  private dense(module: string, bias: boolean): Dense {
    const p: Projection = { w: this.param(`${module}.weight`) };
    this.projections.set(module, p);
    return bias ? { p, bias: this.vector(`${module}.bias`) } : { p };
  }

  private layer(i: number): Layer {
    const { qkvBias, outputBias, mlpBias, qkNorm } = this.config;
    const prefix = `model.layers.${i}`;
    const attn = `${prefix}.self_attn`;
    return {
      attention: {
        norm: this.vector(`${prefix}.input_layernorm.weight`),
        q: this.dense(`${attn}.q_proj`, qkvBias),
        k: this.dense(`${attn}.k_proj`, qkvBias),
        v: this.dense(`${attn}.v_proj`, qkvBias),
        o: this.dense(`${attn}.o_proj`, outputBias),
        qNorm: qkNorm ? this.vector(`${attn}.q_norm.weight`) : undefined,
        kNorm: qkNorm ? this.vector(`${attn}.k_norm.weight`) : undefined,
      },
      mlp: {
        norm: this.vector(`${prefix}.post_attention_layernorm.weight`),
        gate: this.dense(`${prefix}.mlp.gate_proj`, mlpBias),
        up: this.dense(`${prefix}.mlp.up_proj`, mlpBias),
        down: this.dense(`${prefix}.mlp.down_proj`, mlpBias),
      },
    };
  }

  // ---- input checks ----------------------------------------------------------------------------

  private assertAlive(): void {
    if (this.disposed) throw new Error('CausalLMModel used after dispose()');
  }

  /** Checks shapes and dtypes against `past` cached positions; returns `[batch, len]`. */
  private checkInputs(inputs: CausalLMInputs, past: number): [number, number] {
    this.assertAlive();
    const ids = inputs.inputIds;
    if (ids.rank !== 2)
      throw new ModelInputError(`expected [batch, len], got shape [${ids.shape.join(', ')}]`, 'inputIds');
    if (ids.dtype !== 'int32') throw new ModelInputError(`expected int32 ids, got ${ids.dtype}`, 'inputIds');
    const [batch, len] = ids.shape;
    if (len === 0 || batch === 0) throw new ModelInputError('is empty', 'inputIds');
    const check = (t: Tensor | undefined, cols: number, name: string, int: boolean) => {
      if (t === undefined) return;
      if (t.rank !== 2 || t.shape[0] !== batch || t.shape[1] !== cols) {
        throw new ModelInputError(`shape [${t.shape.join(', ')}] should be [${batch}, ${cols}]`, name);
      }
      if (int && t.dtype !== 'int32') throw new ModelInputError(`expected int32, got ${t.dtype}`, name);
    };
    check(inputs.attentionMask, past + len, 'attentionMask', false);
    check(inputs.positionIds, len, 'positionIds', true);
    check(inputs.segmentIds, len, 'segmentIds', false);
    if (inputs.segmentIds !== undefined && inputs.positionIds === undefined) {
      throw new ModelInputError(
        'packed rows need positionIds restarting at 0 per example (packedRowIds)',
        'segmentIds',
      );
    }
    return [batch, len];
  }
}
