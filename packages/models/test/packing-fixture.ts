/** seqio's packed rows of `training/flan-t5-tiny/packing.json`, as model inputs. */
import { readFileSync } from 'node:fs';
import { sharedFile } from '@flan-ts/test-support';
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor2D } from '@tensorflow/tfjs-core';
import type { EncoderDecoderInputs } from '../src/t5/interface';

export interface PackedRow {
  encoder_input_tokens: number[];
  encoder_segment_ids: number[];
  decoder_target_tokens: number[];
  decoder_input_tokens: number[];
  decoder_segment_ids: number[];
  decoder_loss_weights: number[];
  per_token_loss: number[];
  summed_loss: number;
}

export interface PackingFixture {
  examples: { inputs: number[]; targets: number[] }[];
  rows: PackedRow[];
}

export const PACKING_JSON = 'fixtures/training/flan-t5-tiny/packing.json';

export function loadPacking(): PackingFixture | undefined {
  const path = sharedFile(PACKING_JSON);
  return path === undefined ? undefined : (JSON.parse(readFileSync(path, 'utf8')) as PackingFixture);
}

/** The packed rows as a segment-masked batch with labels (-100 where the loss weight is 0); caller disposes. */
export function packedBatch(f: PackingFixture): EncoderDecoderInputs & { labels: Tensor2D } {
  const ids = (rows: number[][]) => tf.tensor2d(rows, undefined, 'int32');
  return {
    inputIds: ids(f.rows.map((r) => r.encoder_input_tokens)),
    attentionMask: ids(f.rows.map((r) => r.encoder_input_tokens.map((t) => (t === 0 ? 0 : 1)))),
    decoderInputIds: ids(f.rows.map((r) => r.decoder_input_tokens)),
    encoderSegmentIds: ids(f.rows.map((r) => r.encoder_segment_ids)),
    decoderSegmentIds: ids(f.rows.map((r) => r.decoder_segment_ids)),
    labels: ids(
      f.rows.map((r) => r.decoder_target_tokens.map((t, i) => (r.decoder_loss_weights[i] ? t : -100))),
    ),
  };
}

/** One example alone, unpacked (HF layout: decoder inputs are the targets shifted right after 0). */
export function singleExample(ex: { inputs: number[]; targets: number[] }): EncoderDecoderInputs & {
  labels: Tensor2D;
} {
  const ids = (row: number[]) => tf.tensor2d([row], undefined, 'int32');
  return {
    inputIds: ids(ex.inputs),
    attentionMask: ids(ex.inputs.map(() => 1)),
    decoderInputIds: ids([0, ...ex.targets.slice(0, -1)]),
    labels: ids(ex.targets),
  };
}
