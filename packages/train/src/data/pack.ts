/**
 * Packing mode, exactly as seqio's `EncDecFeatureConverter(pack=True)` (`utils.trim_and_pack_dataset` →
 * `_pack_with_tf_ops`, then `make_autoregressive_inputs`), checked against
 * `shared/fixtures/training/flan-t5-tiny/packing.json`:
 * - greedy, in order: an example joins the open row only if every feature still fits
 *   (`len(row) + len(example) <= length`), otherwise the row is closed and the example opens the next one;
 * - positions restart at 0 per example, 0 on padding; segment ids are 1, 2, ... per example, 0 on padding;
 * - decoder inputs are the targets shifted right, 0 wherever the segment id differs from the previous
 *   position's (each segment's first token and the first padding position);
 * - loss weights are `targets != 0`.
 */
import type { IdBatch } from '../batch';
import type { Example, FeatureLengths } from './example';
import { IGNORE_INDEX } from './pad';

/** One packed row in seqio's feature names. */
export interface PackedRow {
  encoder_input_tokens: number[];
  encoder_segment_ids: number[];
  encoder_positions: number[];
  decoder_target_tokens: number[];
  decoder_input_tokens: number[];
  decoder_segment_ids: number[];
  decoder_positions: number[];
  decoder_loss_weights: number[];
}

/** Whether `example` still fits a row already holding `row` (every feature within its length). */
export function fitsRow(row: readonly Example[], example: Example, lengths: FeatureLengths): boolean {
  let inputs = example.inputs.length;
  let targets = example.targets.length;
  for (const e of row) {
    inputs += e.inputs.length;
    targets += e.targets.length;
  }
  return inputs <= lengths.inputLength && targets <= lengths.targetLength;
}

/** Greedy packing of (trimmed) examples in order: the segments of each row. */
export function packRows(examples: readonly Example[], lengths: FeatureLengths): Example[][] {
  const rows: Example[][] = [];
  let open: Example[] = [];
  for (const example of examples) {
    if (open.length > 0 && !fitsRow(open, example, lengths)) {
      rows.push(open);
      open = [];
    }
    open.push(example);
  }
  if (open.length > 0) rows.push(open);
  return rows;
}

function layOut(
  sequences: readonly number[][],
  length: number,
): { tokens: number[]; segments: number[]; positions: number[] } {
  const tokens = new Array<number>(length).fill(0);
  const segments = new Array<number>(length).fill(0);
  const positions = new Array<number>(length).fill(0);
  let at = 0;
  sequences.forEach((ids, s) => {
    if (at + ids.length > length) throw new RangeError('packed row overflows its feature length');
    ids.forEach((id, i) => {
      tokens[at] = id;
      positions[at] = i;
      // seqio: segment_ids = cumsum(positions == 0) * (token != 0).
      segments[at] = id !== 0 ? s + 1 : 0;
      at++;
    });
  });
  return { tokens, segments, positions };
}

/** The features of one packed row (segments in order). */
export function packRow(segments: readonly Example[], lengths: FeatureLengths): PackedRow {
  const encoder = layOut(
    segments.map((e) => e.inputs),
    lengths.inputLength,
  );
  const decoder = layOut(
    segments.map((e) => e.targets),
    lengths.targetLength,
  );
  const targets = decoder.tokens;
  const decoderInputs = targets.map((_, i) =>
    i === 0 || decoder.segments[i] !== decoder.segments[i - 1] ? 0 : targets[i - 1]!,
  );
  return {
    encoder_input_tokens: encoder.tokens,
    encoder_segment_ids: encoder.segments,
    encoder_positions: encoder.positions,
    decoder_target_tokens: targets,
    decoder_input_tokens: decoderInputs,
    decoder_segment_ids: decoder.segments,
    decoder_positions: decoder.positions,
    decoder_loss_weights: targets.map((id) => (id !== 0 ? 1 : 0)),
  };
}

/** Packed rows as an {@link IdBatch}: labels are the targets where the loss weight is 1, else −100. */
export function packedBatch(rows: readonly (readonly Example[])[], lengths: FeatureLengths): IdBatch {
  const batch: Required<IdBatch> = {
    input_ids: [],
    attention_mask: [],
    decoder_input_ids: [],
    labels: [],
    encoder_segment_ids: [],
    decoder_segment_ids: [],
    encoder_positions: [],
    decoder_positions: [],
  };
  for (const segments of rows) {
    const row = packRow(segments, lengths);
    batch.input_ids.push(row.encoder_input_tokens);
    batch.attention_mask.push(row.encoder_segment_ids.map((s) => (s !== 0 ? 1 : 0)));
    batch.decoder_input_ids.push(row.decoder_input_tokens);
    batch.labels.push(
      row.decoder_target_tokens.map((id, i) => (row.decoder_loss_weights[i] ? id : IGNORE_INDEX)),
    );
    batch.encoder_segment_ids.push(row.encoder_segment_ids);
    batch.decoder_segment_ids.push(row.decoder_segment_ids);
    batch.encoder_positions.push(row.encoder_positions);
    batch.decoder_positions.push(row.decoder_positions);
  }
  return batch;
}
