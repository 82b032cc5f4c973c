/**
 * The T5 encoder-decoder (HF `T5ForConditionalGeneration`), with the config as its only input.
 *
 * Every stack is: token embedding (the shared table) → blocks → final RMS norm. A block is pre-norm
 * residual sublayers: self-attention, cross-attention (decoder only), feed-forward. Layer 0 of each
 * stack owns the relative-position bias table and all layers reuse it. The tied head (T5 v1.0)
 * rescales the decoder output by d_model^-0.5 before multiplying by the shared table; an untied
 * `lm_head` (T5 v1.1, Flan-T5) does not.
 *
 * Hidden states flow as 2-D `[batch·len, d_model]` tensors so that every dense layer is a plain 2-D
 * matmul (fast on WASM), and each sublayer is one differentiable op (see `kernels/`), so gradients
 * need none of tfjs's registered gradients.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D, Tensor2D, Tensor3D, Tensor4D, Variable } from '@tensorflow/tfjs-core';
import { namedTensorsSync, readNamedTensors } from '../checkpoint/named-tensors';
import type { NamedFloat32Tensor } from '../checkpoint/safetensors';
import { CheckpointError } from '../checkpoint/errors';
import { ModelInputError } from '../model-input-error';
import {
  attentionSublayer,
  cachedAttentionSublayer,
  type AttentionGeometry,
  type AttentionWeights,
} from '../kernels/attention';
import { type DropoutSpec, dropoutAt, dropoutOp, PassDropout } from '../kernels/dropout';
import { embeddingLookup, sliceRows } from '../kernels/embedding';
import {
  feedForwardSublayer,
  feedForwardSublayerForward,
  type FeedForwardWeights,
} from '../kernels/feedForward';
import { linearOp, releaseTransposedWeight, transposedWeight } from '../kernels/linear';
import { attachLora, type LoraWeights, type Projection } from '../kernels/projection';
import { positionBias } from '../kernels/positionBias';
import { rmsNorm, rmsNormOp } from '../kernels/rmsNorm';
import { type LayerCache, T5DecoderCache } from './cache';
import type { T5Config } from './config';
import { expectedT5Tensors } from './parameters';
import type { DecoderCache, EncoderDecoderInputs, Seq2SeqLM } from './interface';
import { causalMask, keyPaddingMask, segmentMask } from './masks';
import { relativePositionBuckets } from './relativePosition';

export { ModelInputError };

/** Options of a teacher-forced pass. */
export interface ForwardOptions {
  /** Applies dropout with the config's `dropoutRate` (default false: evaluation). */
  training?: boolean;
  /** Seed of the dropout masks of this pass (default: a fresh one per call). */
  seed?: number;
  /**
   * Activation checkpointing for gradients: keep only each sublayer's input and recompute the rest
   * in the backward pass (less memory, about a third more compute). Default false: the gradient keeps
   * only the few activations it needs per sublayer, not every intermediate.
   */
  recompute?: boolean;
}

interface Block {
  selfAttention: AttentionWeights;
  crossAttention?: AttentionWeights;
  feedForward: FeedForwardWeights;
}

interface AttentionMasks {
  encoder: Tensor4D;
  decoderSelf: Tensor4D;
  cross: Tensor4D;
}

let modelCount = 0;

export class T5Model implements Seq2SeqLM {
  readonly config: T5Config;
  private readonly params = new Map<string, Variable>();
  /** Every dense layer by Hugging Face module path; a LoRA adapter attaches to these. */
  private readonly projections = new Map<string, Projection>();
  private readonly encoderBlocks: Block[] = [];
  private readonly decoderBlocks: Block[] = [];
  private readonly id = modelCount++;
  private readonly passDropout = new PassDropout(0x5eed);
  private disposed = false;

  /**
   * Builds the model from Hugging Face tensors (`shared.weight`, `encoder.block.0.layer.0.SelfAttention.q.weight`,
   * ...). For a tied config, `lm_head.weight` may be present or absent: the head is `shared.weight`.
   * Throws `CheckpointError` naming the tensor when one is missing or has the wrong shape.
   */
  static fromTensors(config: T5Config, tensors: ReadonlyMap<string, NamedFloat32Tensor>): T5Model {
    return new T5Model(config, tensors);
  }

  private constructor(config: T5Config, tensors: ReadonlyMap<string, NamedFloat32Tensor>) {
    this.config = config;
    try {
      for (const { name, shape } of expectedT5Tensors(config).filter((t) => t.required)) {
        const t = tensors.get(name);
        if (t === undefined) throw new CheckpointError('missing tensor', undefined, name);
        if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
          throw new CheckpointError(
            `shape [${t.shape.join(', ')}] disagrees with the config, which implies [${shape.join(', ')}]`,
            undefined,
            name,
          );
        }
        const size = shape.reduce((a, b) => a * b, 1);
        if (t.data.length !== size) {
          throw new CheckpointError(
            `has ${t.data.length} values for shape [${shape.join(', ')}]`,
            undefined,
            name,
          );
        }
        // tf.variable shares the initial tensor's buffer: dispose the tensor so assign() frees old values.
        const initial = tf.tensor(t.data, [...shape], 'float32');
        this.params.set(name, tf.variable(initial, true, `t5_${this.id}/${name}`));
        initial.dispose();
      }
    } catch (error) {
      this.dispose();
      throw error;
    }
    for (let i = 0; i < config.numLayers; i++) this.encoderBlocks.push(this.block('encoder', i));
    for (let i = 0; i < config.numDecoderLayers; i++) this.decoderBlocks.push(this.block('decoder', i));
    for (const w of this.denseWeights()) transposedWeight(w);
  }

  get vocabSize(): number {
    return this.config.vocabSize;
  }
  get padTokenId(): number {
    return this.config.padTokenId;
  }
  get eosTokenId(): number {
    return this.config.eosTokenId;
  }
  get decoderStartTokenId(): number {
    return this.config.decoderStartTokenId;
  }

  /**
   * The trainable parameters by Hugging Face name. Tied models have no `lm_head.weight` entry: the
   * head is `shared.weight`. Update them with `assign`; the model picks the new values up.
   */
  parameters(): ReadonlyMap<string, Variable> {
    this.assertAlive();
    return this.params;
  }

  /**
   * The dense layers an adapter can wrap, by Hugging Face module path (what PEFT's `target_modules`
   * match), e.g. `decoder.block.1.layer.1.EncDecAttention.v`, with their `[out, in]` shapes.
   */
  adaptableModules(): ReadonlyMap<string, readonly [number, number]> {
    this.assertAlive();
    return new Map([...this.projections].map(([name, p]) => [name, [p.w.shape[0], p.w.shape[1]] as const]));
  }

  /**
   * Adds a LoRA adapter beside a dense layer (`y = x·Wᵀ + scale·(x·Aᵀ)·Bᵀ`), or removes it with
   * `undefined`. The base weight is untouched; forward, gradients and decoding all see the adapter.
   * The model does not own `a` and `b`: the caller disposes them.
   */
  setLora(module: string, lora: LoraWeights | undefined): void {
    this.assertAlive();
    attachLora(this.projections.get(module), module, lora);
  }

  /**
   * All tensors as Hugging Face names them, for saving (tied models also get `lm_head.weight`, a copy
   * of `shared.weight`). Reads synchronously, which WebGPU in Node cannot: use {@link readTensors} there.
   */
  toTensors(): NamedFloat32Tensor[] {
    return namedTensorsSync(this.namedTensors());
  }

  /** {@link toTensors}, read asynchronously: works on every backend, WebGPU included. */
  async readTensors(): Promise<NamedFloat32Tensor[]> {
    return readNamedTensors(this.namedTensors());
  }

  private namedTensors(): [string, Tensor][] {
    this.assertAlive();
    const out: [string, Tensor][] = [...this.params];
    if (this.config.tieWordEmbeddings) out.push(['lm_head.weight', this.param('shared.weight')]);
    return out;
  }

  /** Encoder output after the final norm: `[batch, srcLen, dModel]`. */
  encode(inputIds: Tensor2D, attentionMask: Tensor2D): Tensor3D {
    const [batch, srcLen] = this.checkIds(inputIds, 'inputIds');
    this.checkMask(attentionMask, batch, srcLen, 'attentionMask');
    return tf.tidy(() =>
      tf.reshape(this.encoderStates(this.embed(flat(inputIds)), keyPaddingMask(attentionMask), undefined), [
        batch,
        srcLen,
        this.config.dModel,
      ]),
    ) as Tensor3D;
  }

  /** Teacher-forced logits `[batch, tgtLen, vocabSize]`. */
  forward(inputs: EncoderDecoderInputs, options: ForwardOptions = {}): Tensor3D {
    const [batch, tgtLen] = this.checkIds(inputs.decoderInputIds, 'decoderInputIds');
    return tf.tidy(() =>
      tf.reshape(this.forwardLogits2d(inputs, options), [batch, tgtLen, this.config.vocabSize]),
    ) as Tensor3D;
  }

  /**
   * Teacher-forced logits as `[batch·tgtLen, vocabSize]`, differentiable with respect to
   * `parameters()` through the model's own gradients (what the loss and `computeGradients` use).
   */
  forwardLogits2d(inputs: EncoderDecoderInputs, options: ForwardOptions = {}): Tensor2D {
    const [batch, srcLen] = this.checkIds(inputs.inputIds, 'inputIds');
    this.checkMask(inputs.attentionMask, batch, srcLen, 'attentionMask');
    const [decBatch] = this.checkIds(inputs.decoderInputIds, 'decoderInputIds');
    if (decBatch !== batch) {
      throw new ModelInputError(`batch ${decBatch} differs from inputIds' batch ${batch}`, 'decoderInputIds');
    }
    const { encoderSegmentIds, decoderSegmentIds } = inputs;
    if ((encoderSegmentIds === undefined) !== (decoderSegmentIds === undefined)) {
      throw new ModelInputError(
        'packed rows need both encoderSegmentIds and decoderSegmentIds',
        encoderSegmentIds === undefined ? 'encoderSegmentIds' : 'decoderSegmentIds',
      );
    }
    if (encoderSegmentIds !== undefined) {
      this.checkMask(encoderSegmentIds, batch, srcLen, 'encoderSegmentIds');
      this.checkMask(decoderSegmentIds!, batch, inputs.decoderInputIds.shape[1], 'decoderSegmentIds');
    }
    const drop = this.passDropout.of(options, this.config.dropoutRate);
    return tf.tidy(() => {
      const recompute = options.recompute ?? false;
      const masks = this.attentionMasks(inputs);
      // One lookup for both stacks: the shared table's gradient is then one scatter-add.
      const encoderTokens = batch * srcLen;
      const embedded = this.embed(tf.concat([inputs.inputIds, inputs.decoderInputIds].map(flat)) as Tensor1D);
      const encoded = this.encoderStates(
        sliceRows(embedded, 0, encoderTokens),
        masks.encoder,
        drop,
        recompute,
      );
      const hidden = this.decoderStates(
        sliceRows(embedded, encoderTokens, embedded.shape[0] - encoderTokens),
        [batch, inputs.decoderInputIds.shape[1], srcLen],
        encoded,
        masks,
        drop,
        recompute,
      );
      return this.head(hidden);
    });
  }

  decode(
    decoderInputIds: Tensor2D,
    encoderHiddenStates: Tensor3D,
    encoderAttentionMask: Tensor2D,
    cache?: DecoderCache,
  ): { logits: Tensor3D; cache: DecoderCache } {
    const [batch, newLen] = this.checkIds(decoderInputIds, 'decoderInputIds');
    const { dModel, vocabSize } = this.config;
    if (
      encoderHiddenStates.rank !== 3 ||
      encoderHiddenStates.shape[0] !== batch ||
      encoderHiddenStates.shape[2] !== dModel
    ) {
      throw new ModelInputError(
        `shape [${encoderHiddenStates.shape.join(', ')}] should be [${batch}, srcLen, ${dModel}]`,
        'encoderHiddenStates',
      );
    }
    const srcLen = encoderHiddenStates.shape[1];
    this.checkMask(encoderAttentionMask, batch, srcLen, 'encoderAttentionMask');
    if (cache !== undefined && !(cache instanceof T5DecoderCache)) {
      throw new ModelInputError('was not made by this model', 'cache');
    }
    if (cache !== undefined && cache.batchSize !== batch) {
      throw new ModelInputError(
        `batch ${cache.batchSize} differs from decoderInputIds' batch ${batch}`,
        'cache',
      );
    }
    const past = cache?.length ?? 0;
    const total = past + newLen;
    const eps = this.config.layerNormEpsilon;

    type Step = { logits: Tensor3D; layers: LayerCache[] };
    // LayerCache has no index signature, so tidy's TensorContainer type needs a cast; tidy keeps nested tensors.
    const result = tf.tidy(() => {
      const encoded = tf.reshape(encoderHiddenStates, [batch * srcLen, dModel]) as Tensor2D;
      let h = this.embed(flat(decoderInputIds));
      // The same sublayers as teacher forcing, given the cached keys and values (HF's past_key_value).
      // One new position (every generation step) may see every cached key: no causal mask then.
      const bias = this.positionBias('decoder', newLen, total, past);
      const selfMask = newLen === 1 ? undefined : causalMask(newLen, total, past);
      const crossMask = keyPaddingMask(encoderAttentionMask);
      const selfGeo = this.geometry(batch, newLen, total);
      const crossGeo = this.geometry(batch, newLen, srcLen);
      const layers: LayerCache[] = [];
      this.decoderBlocks.forEach((block, i) => {
        const old = cache?.layers[i];
        const self = cachedAttentionSublayer(
          { x: h, w: block.selfAttention, bias, mask: selfMask, past: old?.self },
          selfGeo,
        );
        const cross = cachedAttentionSublayer(
          { x: self.y, w: block.crossAttention!, kv: old?.cross ?? encoded, mask: crossMask },
          crossGeo,
        );
        h = feedForwardSublayerForward(cross.y, block.feedForward, this.config.activation, eps);
        layers.push({ self: self.keyValues, cross: cross.keyValues });
      });
      const logits = tf.reshape(this.head(rmsNorm(h, this.vector('decoder.final_layer_norm.weight'), eps)), [
        batch,
        newLen,
        vocabSize,
      ]) as Tensor3D;
      return { logits, layers } as unknown as tf.TensorContainer;
    }) as unknown as Step;
    return { logits: result.logits, cache: new T5DecoderCache(result.layers, total) };
  }

  /**
   * Frees the `[in, out]` copies of the dense weights that few-row products (decoding) multiply by;
   * they are made again on first use. A training step on wasm reads the weights in place, and every
   * update makes the copies stale, so the trainer frees them: about the weights' size again in memory.
   */
  releaseTransposedCopies(): void {
    this.assertAlive();
    for (const w of this.denseWeights()) releaseTransposedWeight(w);
  }

  /** Frees the parameters. The model cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.params.values()) {
      releaseTransposedWeight(v);
      v.dispose();
    }
    this.params.clear();
  }

  // ---- stacks ---------------------------------------------------------------------------------

  /** Token embeddings `[n, d_model]` of `ids` `[n]`. */
  private embed(ids: Tensor1D): Tensor2D {
    return embeddingLookup(this.param('shared.weight'), ids);
  }

  /**
   * The three attention masks of a teacher-forced pass: key padding (and causality) for padded batches;
   * for packed rows, segment masks, so no query sees another example's tokens.
   */
  private attentionMasks(inputs: EncoderDecoderInputs): AttentionMasks {
    const tgtLen = inputs.decoderInputIds.shape[1];
    const enc = inputs.encoderSegmentIds;
    const dec = inputs.decoderSegmentIds;
    if (enc !== undefined && dec !== undefined) {
      return {
        encoder: segmentMask(enc, enc),
        decoderSelf: segmentMask(dec, dec, true),
        cross: segmentMask(dec, enc),
      };
    }
    const padding = keyPaddingMask(inputs.attentionMask);
    return { encoder: padding, decoderSelf: causalMask(tgtLen, tgtLen, 0), cross: padding };
  }

  /** `embedded`: the token embeddings `[batch·srcLen, d_model]`; `mask`: additive, `[batch, 1, 1|srcLen, srcLen]`. */
  private encoderStates(
    embedded: Tensor2D,
    mask: Tensor4D,
    drop: DropoutSpec | undefined,
    recompute = false,
  ): Tensor2D {
    const batch = mask.shape[0];
    const srcLen = mask.shape[3];
    const eps = this.config.layerNormEpsilon;
    let h = dropoutOp(embedded, dropoutAt(drop, 'encoder.embedding'));
    const bias = this.positionBias('encoder', srcLen, srcLen, 0);
    const geo = this.geometry(batch, srcLen, srcLen);
    this.encoderBlocks.forEach((block, i) => {
      h = attentionSublayer(
        { x: h, w: block.selfAttention, bias, mask },
        geo,
        dropoutAt(drop, `encoder.${i}.self-attention`),
        recompute,
      );
      h = feedForwardSublayer(
        h,
        block.feedForward,
        this.config.activation,
        eps,
        dropoutAt(drop, `encoder.${i}.feed-forward`),
        recompute,
      );
    });
    h = rmsNormOp(h, this.vector('encoder.final_layer_norm.weight'), eps);
    return dropoutOp(h, dropoutAt(drop, 'encoder.final'));
  }

  /** `embedded`: the decoder input embeddings `[batch·tgtLen, d_model]`. */
  private decoderStates(
    embedded: Tensor2D,
    [batch, tgtLen, srcLen]: [number, number, number],
    encoded: Tensor2D,
    masks: AttentionMasks,
    drop: DropoutSpec | undefined,
    recompute: boolean,
  ): Tensor2D {
    const eps = this.config.layerNormEpsilon;
    let h = dropoutOp(embedded, dropoutAt(drop, 'decoder.embedding'));
    const bias = this.positionBias('decoder', tgtLen, tgtLen, 0);
    const selfGeo = this.geometry(batch, tgtLen, tgtLen);
    const crossGeo = this.geometry(batch, tgtLen, srcLen);
    this.decoderBlocks.forEach((block, i) => {
      h = attentionSublayer(
        { x: h, w: block.selfAttention, bias, mask: masks.decoderSelf },
        selfGeo,
        dropoutAt(drop, `decoder.${i}.self-attention`),
        recompute,
      );
      h = attentionSublayer(
        { x: h, w: block.crossAttention!, kv: encoded, mask: masks.cross },
        crossGeo,
        dropoutAt(drop, `decoder.${i}.cross-attention`),
        recompute,
      );
      h = feedForwardSublayer(
        h,
        block.feedForward,
        this.config.activation,
        eps,
        dropoutAt(drop, `decoder.${i}.feed-forward`),
        recompute,
      );
    });
    h = rmsNormOp(h, this.vector('decoder.final_layer_norm.weight'), eps);
    return dropoutOp(h, dropoutAt(drop, 'decoder.final'));
  }

  /** Tied head: `(h · d_model^-0.5) · sharedᵀ`; untied: `h · lm_headᵀ`. */
  private head(hidden: Tensor2D): Tensor2D {
    if (this.config.tieWordEmbeddings) {
      return linearOp(hidden, this.param('shared.weight'), this.config.dModel ** -0.5);
    }
    return linearOp(hidden, this.param('lm_head.weight'));
  }

  private positionBias(
    stack: 'encoder' | 'decoder',
    queryLen: number,
    keyLen: number,
    offset: number,
  ): Tensor4D {
    const { relativeAttentionNumBuckets: buckets, relativeAttentionMaxDistance: maxDistance } = this.config;
    const table = relativePositionBuckets(
      queryLen,
      keyLen,
      offset,
      stack === 'encoder',
      buckets,
      maxDistance,
    );
    return tf.tidy(() =>
      positionBias(
        this.param(`${stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight`),
        tf.tensor1d(table, 'int32'),
        queryLen,
        keyLen,
      ),
    );
  }

  // ---- parameters ------------------------------------------------------------------------------

  private param(name: string): Tensor2D {
    const v = this.params.get(name);
    if (v === undefined)
      throw new Error(this.disposed ? 'T5Model used after dispose()' : `no parameter ${name}`);
    return v as unknown as Tensor2D;
  }

  private vector(name: string): Tensor1D {
    return this.param(name) as unknown as Tensor1D;
  }

  /** The dense layer of a Hugging Face module path (`encoder.block.0.layer.0.SelfAttention.q`), registered once. */
  private projection(module: string): Projection {
    const p: Projection = { w: this.param(`${module}.weight`) };
    this.projections.set(module, p);
    return p;
  }

  private block(stack: 'encoder' | 'decoder', i: number): Block {
    const prefix = `${stack}.block.${i}`;
    const norm = (layer: number) => this.vector(`${prefix}.layer.${layer}.layer_norm.weight`);
    const attention = (layer: number, kind: string): AttentionWeights => {
      const m = `${prefix}.layer.${layer}.${kind}`;
      return {
        norm: norm(layer),
        q: this.projection(`${m}.q`),
        k: this.projection(`${m}.k`),
        v: this.projection(`${m}.v`),
        o: this.projection(`${m}.o`),
      };
    };
    const ff = stack === 'encoder' ? 1 : 2;
    const dense = `${prefix}.layer.${ff}.DenseReluDense`;
    const feedForward: FeedForwardWeights = this.config.isGatedAct
      ? {
          norm: norm(ff),
          wi0: this.projection(`${dense}.wi_0`),
          wi1: this.projection(`${dense}.wi_1`),
          wo: this.projection(`${dense}.wo`),
        }
      : { norm: norm(ff), wi: this.projection(`${dense}.wi`), wo: this.projection(`${dense}.wo`) };
    return {
      selfAttention: attention(0, 'SelfAttention'),
      crossAttention: stack === 'decoder' ? attention(1, 'EncDecAttention') : undefined,
      feedForward,
    };
  }

  /** The weights used as dense layers (their `[in, out]` copies are cached). */
  private denseWeights(): Tensor2D[] {
    const out = [...this.projections.values()].map((p) => p.w);
    out.push(this.param(this.config.tieWordEmbeddings ? 'shared.weight' : 'lm_head.weight'));
    return out;
  }

  private geometry(batch: number, queryLen: number, keyLen: number): AttentionGeometry {
    const { numHeads: heads, dKv, layerNormEpsilon: eps } = this.config;
    return { batch, queryLen, keyLen, heads, dKv, eps };
  }

  // ---- input checks ----------------------------------------------------------------------------

  private assertAlive(): void {
    if (this.disposed) throw new Error('T5Model used after dispose()');
  }

  private checkIds(ids: Tensor, name: string): [number, number] {
    this.assertAlive();
    if (ids.rank !== 2)
      throw new ModelInputError(`expected [batch, len], got shape [${ids.shape.join(', ')}]`, name);
    if (ids.dtype !== 'int32') throw new ModelInputError(`expected int32 ids, got ${ids.dtype}`, name);
    if (ids.shape[1] === 0) throw new ModelInputError('is empty', name);
    return [ids.shape[0]!, ids.shape[1]!];
  }

  private checkMask(mask: Tensor, batch: number, len: number, name: string): void {
    if (mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== len) {
      throw new ModelInputError(`shape [${mask.shape.join(', ')}] should be [${batch}, ${len}]`, name);
    }
  }
}

/** `[batch, len]` ids as `[batch·len]`, row-major. */
function flat(ids: Tensor2D): Tensor1D {
  return tf.reshape(ids, [-1]) as Tensor1D;
}
