/**
 * What the decoding strategies (generate.ts) drive, whatever the architecture: one row per output
 * sequence, the next-token logits of every row per step, beam reordering. An encoder-decoder
 * (`Seq2SeqLM`) encodes the prompts once and decodes from the start token; a decoder-only model
 * (`CausalLM`) prefills the left-padded prompts and then decodes with its KV cache, with position
 * ids from the attention mask as Hugging Face's `generate` builds them.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import type { CausalLM } from '../causal/interface';
import { positionsFromMask } from '../causal/masks';
import type { DecoderCache, Seq2SeqLM } from '../t5/interface';
import { GenerationError } from './errors';
import type { EncoderInputs } from './inputs';

export interface DecodingSession {
  /** Rows decoded together: prompts × rows per prompt, prompt-major. */
  readonly rowCount: number;
  /** How prompt p's output sequences begin (HF `sequences`: the start token, or the padded prompt). */
  prefix(prompt: number): readonly number[];
  /** The tokens before the new ones that logits processors see (the start token, or the prompt). */
  context(prompt: number): readonly number[];
  /** Next-token logits of every row; `lastTokens` are the tokens each row took at the previous step. */
  next(lastTokens: readonly number[] | undefined, stepIndex: number): Promise<Float32Array[]>;
  /** Continues with these rows, in this order (beam search). */
  select(rows: readonly number[]): void;
  dispose(): void;
}

/** Row r of an expanded batch belongs to prompt ⌊r / times⌋. */
function expandedRows(prompts: number, times: number): number[] {
  return Array.from({ length: prompts * times }, (_, i) => Math.floor(i / times));
}

/** Downloads `[rows, 1, vocab]` logits as one array per row, checking shape and NaN. */
async function rowsOf(
  logits: Tensor3D,
  rows: number,
  vocab: number,
  stepIndex: number,
): Promise<Float32Array[]> {
  const [batch, length, width] = logits.shape;
  if (batch !== rows || length !== 1 || width !== vocab) {
    throw new GenerationError(
      `step ${stepIndex}: the model returned logits of shape [${logits.shape.join(', ')}], expected [${rows}, 1, ${vocab}]`,
    );
  }
  const data = (await logits.data()) as Float32Array;
  return Array.from({ length: batch }, (_, r) => {
    const row = data.slice(r * vocab, (r + 1) * vocab);
    if (row.some(Number.isNaN))
      throw new GenerationError(`step ${stepIndex}: the model's logits for row ${r} contain NaN`);
    return row;
  });
}

/** Runs `call`, downloads its logits and keeps its cache; frees what it must on failure. */
async function decodeStep(
  call: () => { logits: Tensor3D; cache: DecoderCache },
  rows: number,
  vocab: number,
  stepIndex: number,
): Promise<{ rows: Float32Array[]; cache: DecoderCache }> {
  const result = call();
  try {
    return { rows: await rowsOf(result.logits, rows, vocab, stepIndex), cache: result.cache };
  } catch (error) {
    result.cache.dispose();
    throw error;
  } finally {
    result.logits.dispose();
  }
}

class Seq2SeqSession implements DecodingSession {
  readonly rowCount: number;
  private cache: DecoderCache | undefined;
  private readonly hidden: Tensor3D;
  private readonly mask: Tensor2D;

  constructor(
    private readonly model: Seq2SeqLM,
    inputs: EncoderInputs,
    times: number,
    private readonly startTokenId: number,
  ) {
    const batch = inputs.inputIds.shape[0];
    this.rowCount = batch * times;
    const hidden = model.encode(inputs.inputIds, inputs.attentionMask);
    if (times === 1) {
      this.hidden = hidden;
      this.mask = tf.clone(inputs.attentionMask);
      return;
    }
    // Encode once, then repeat each prompt's rows (HF's `_expand_inputs_for_generation`).
    const index = tf.tensor1d(expandedRows(batch, times), 'int32');
    try {
      this.hidden = tf.gather(hidden, index);
      this.mask = tf.gather(inputs.attentionMask, index);
    } finally {
      tf.dispose([hidden, index]);
    }
  }

  prefix(): readonly number[] {
    return [this.startTokenId];
  }
  context(): readonly number[] {
    return [this.startTokenId];
  }

  async next(lastTokens: readonly number[] | undefined, stepIndex: number): Promise<Float32Array[]> {
    const tokens = lastTokens ?? new Array<number>(this.rowCount).fill(this.startTokenId);
    const ids = tf.tensor2d(Int32Array.from(tokens), [tokens.length, 1], 'int32');
    let out: { rows: Float32Array[]; cache: DecoderCache };
    try {
      out = await decodeStep(
        () => this.model.decode(ids, this.hidden, this.mask, this.cache),
        this.rowCount,
        this.model.vocabSize,
        stepIndex,
      );
    } finally {
      ids.dispose();
    }
    this.cache?.dispose();
    this.cache = out.cache;
    return out.rows;
  }

  select(rows: readonly number[]): void {
    const selected = this.cache!.select(rows);
    this.cache!.dispose();
    this.cache = selected;
  }

  dispose(): void {
    this.cache?.dispose();
    tf.dispose([this.hidden, this.mask]);
  }
}

class CausalSession implements DecodingSession {
  readonly rowCount: number;
  private cache: DecoderCache | undefined;
  /** Left-padded prompts, one per prompt (not per row). */
  private readonly padded: number[][];
  /** The prompt of each row. */
  private readonly rowPrompts: number[];
  /** Per row: the attention mask so far, and the position of its last token. */
  private masks: number[][];
  private lastPositions: number[];

  constructor(
    private readonly model: CausalLM,
    private readonly prompts: readonly (readonly number[])[],
    times: number,
  ) {
    const width = Math.max(...prompts.map((p) => p.length));
    this.padded = prompts.map((p) => [...new Array<number>(width - p.length).fill(model.padTokenId), ...p]);
    const rows = expandedRows(prompts.length, times);
    this.rowPrompts = rows;
    this.rowCount = rows.length;
    this.masks = rows.map((p) => this.padded[p]!.map((_, i) => (i < width - prompts[p]!.length ? 0 : 1)));
    this.lastPositions = rows.map((p) => prompts[p]!.length - 1);
  }

  prefix(prompt: number): readonly number[] {
    return this.padded[prompt]!;
  }
  context(prompt: number): readonly number[] {
    return this.prompts[prompt]!;
  }

  async next(lastTokens: readonly number[] | undefined, stepIndex: number): Promise<Float32Array[]> {
    if (this.cache === undefined) return this.prefill(stepIndex);
    this.masks = this.masks.map((m) => [...m, 1]);
    this.lastPositions = this.lastPositions.map((p) => p + 1);
    const out = await this.run(
      lastTokens!.map((t) => [t]),
      this.masks,
      this.lastPositions.map((p) => [p]),
      stepIndex,
    );
    this.cache?.dispose();
    this.cache = out.cache;
    return out.rows;
  }

  /** Each prompt runs once; its logits and cache are then repeated for its rows (beams, samples). */
  private async prefill(stepIndex: number): Promise<Float32Array[]> {
    const masks = this.prompts.map((p) =>
      this.padded[0]!.map((_, i) => (i < this.padded[0]!.length - p.length ? 0 : 1)),
    );
    const out = await this.run(this.padded, masks, positionsFromMask(masks), stepIndex);
    if (this.rowPrompts.length === this.prompts.length) {
      this.cache = out.cache;
      return out.rows;
    }
    try {
      this.cache = out.cache.select(this.rowPrompts);
    } finally {
      out.cache.dispose();
    }
    return this.rowPrompts.map((p) => Float32Array.from(out.rows[p]!));
  }

  private async run(
    ids: number[][],
    masks: number[][],
    positions: number[][],
    stepIndex: number,
  ): Promise<{ rows: Float32Array[]; cache: DecoderCache }> {
    const inputs = {
      inputIds: tf.tensor2d(ids, undefined, 'int32'),
      attentionMask: tf.tensor2d(masks, undefined, 'int32'),
      positionIds: tf.tensor2d(positions, undefined, 'int32'),
    };
    try {
      return await decodeStep(
        () => this.model.decode(inputs, this.cache, { lastPositionOnly: true }),
        ids.length,
        this.model.vocabSize,
        stepIndex,
      );
    } finally {
      tf.dispose(Object.values(inputs));
    }
  }

  select(rows: readonly number[]): void {
    const selected = this.cache!.select(rows);
    this.cache!.dispose();
    this.cache = selected;
    this.masks = rows.map((r) => this.masks[r]!);
    this.lastPositions = rows.map((r) => this.lastPositions[r]!);
  }

  dispose(): void {
    this.cache?.dispose();
  }
}

/** A session over an encoder-decoder's prompts (tensors), `times` rows per prompt. */
export function seq2seqSession(
  model: Seq2SeqLM,
  inputs: EncoderInputs,
  times: number,
  startTokenId: number,
): DecodingSession {
  return new Seq2SeqSession(model, inputs, times, startTokenId);
}

/** A session over a decoder-only model's prompts (unpadded id lists), `times` rows per prompt. */
export function causalSession(
  model: CausalLM,
  prompts: readonly (readonly number[])[],
  times: number,
): DecodingSession {
  return new CausalSession(model, prompts, times);
}
