/**
 * The benchmark's batches: random but seeded examples with realistic lengths (log-normal, clipped to
 * the feature lengths, eos last), then either padded to the full 512/128 shape or packed seqio-style
 * (`EncDecFeatureConverter(pack=True)`: greedy in order, a row closes when any feature would overflow,
 * segment ids 1, 2, … and 0 on padding, decoder inputs 0 at each segment start).
 *
 * The packing is built here rather than imported from src/data so the bench does not depend on the
 * data path's state; it follows the same rules (shared/fixtures/training/flan-t5-tiny/packing.json).
 */
import { seededUniform } from '@flan-ts/test-support';
import type { IdBatch } from '../src/batch';

export interface BenchExample {
  inputs: number[];
  targets: number[];
}

export const INPUT_LENGTH = 512;
export const TARGET_LENGTH = 128;
const IGNORE = -100;

/** Length from a log-normal with this median and σ (of the log), clipped to [lo, hi]. */
function logNormalLength(median: number, sigma: number, lo: number, hi: number, next: () => number): number {
  const z = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return Math.min(hi, Math.max(lo, Math.round(median * Math.exp(sigma * z))));
}

/**
 * `count` examples: input lengths median 160 (σ 0.7), target lengths median 24 (σ 0.9), instruction
 * data's shape (long prompts, short answers, a tail reaching the limits). Ids are real pieces
 * (3..31999), eos (1) last.
 */
export function makeExamples(count: number, seed: number): BenchExample[] {
  const next = seededUniform(seed);
  const ids = (n: number) => [...Array.from({ length: n - 1 }, () => 3 + Math.floor(next() * 31997)), 1];
  return Array.from({ length: count }, () => {
    const inputs = logNormalLength(160, 0.7, 8, INPUT_LENGTH, next);
    const targets = logNormalLength(24, 0.9, 2, TARGET_LENGTH, next);
    return { inputs: ids(inputs), targets: ids(targets) };
  });
}

function shiftRight(labels: number[]): number[] {
  return [0, ...labels.slice(0, -1).map((id) => (id === IGNORE ? 0 : id))];
}

/** Examples right-padded to the full feature lengths (pad 0, labels -100, HF's `_shift_right`). */
export function paddedBatch(examples: readonly BenchExample[]): IdBatch {
  const batch: IdBatch = { input_ids: [], attention_mask: [], decoder_input_ids: [], labels: [] };
  for (const e of examples) {
    const pad = (ids: number[], length: number, fill: number) => [
      ...ids,
      ...new Array<number>(length - ids.length).fill(fill),
    ];
    const labels = pad(e.targets, TARGET_LENGTH, IGNORE);
    batch.input_ids.push(pad(e.inputs, INPUT_LENGTH, 0));
    batch.attention_mask.push(
      pad(
        e.inputs.map(() => 1),
        INPUT_LENGTH,
        0,
      ),
    );
    batch.labels.push(labels);
    batch.decoder_input_ids.push(shiftRight(labels));
  }
  return batch;
}

/** Greedy seqio packing in order: the examples of each row. */
export function packRows(examples: readonly BenchExample[]): BenchExample[][] {
  const rows: BenchExample[][] = [];
  let open: BenchExample[] = [];
  let inputs = 0;
  let targets = 0;
  for (const e of examples) {
    if (
      open.length > 0 &&
      (inputs + e.inputs.length > INPUT_LENGTH || targets + e.targets.length > TARGET_LENGTH)
    ) {
      rows.push(open);
      open = [];
      inputs = targets = 0;
    }
    open.push(e);
    inputs += e.inputs.length;
    targets += e.targets.length;
  }
  if (open.length > 0) rows.push(open);
  return rows;
}

function layOut(sequences: readonly number[][], length: number) {
  const tokens = new Array<number>(length).fill(0);
  const segments = new Array<number>(length).fill(0);
  let at = 0;
  sequences.forEach((ids, s) => {
    for (const id of ids) {
      tokens[at] = id;
      segments[at++] = s + 1;
    }
  });
  return { tokens, segments };
}

/** Packed rows as a batch with segment ids; labels are -100 on padding. */
export function packedBatch(rows: readonly (readonly BenchExample[])[]): IdBatch {
  const batch: Required<Pick<IdBatch, 'encoder_segment_ids' | 'decoder_segment_ids'>> & IdBatch = {
    input_ids: [],
    attention_mask: [],
    decoder_input_ids: [],
    labels: [],
    encoder_segment_ids: [],
    decoder_segment_ids: [],
  };
  for (const row of rows) {
    const enc = layOut(
      row.map((e) => e.inputs),
      INPUT_LENGTH,
    );
    const dec = layOut(
      row.map((e) => e.targets),
      TARGET_LENGTH,
    );
    batch.input_ids.push(enc.tokens);
    batch.attention_mask.push(enc.segments.map((s) => (s ? 1 : 0)));
    batch.encoder_segment_ids.push(enc.segments);
    batch.decoder_segment_ids.push(dec.segments);
    batch.labels.push(dec.tokens.map((id, i) => (dec.segments[i] ? id : IGNORE)));
    batch.decoder_input_ids.push(
      dec.tokens.map((_, i) => (i === 0 || dec.segments[i] !== dec.segments[i - 1] ? 0 : dec.tokens[i - 1]!)),
    );
  }
  return batch;
}

/** `steps` padded batches of `batch` examples each, drawn in order from `examples` (wrapping round). */
export function paddedSteps(
  examples: readonly BenchExample[],
  steps: number,
  batch: number,
  micro = 1,
): IdBatch[][] {
  let at = 0;
  const take = () => {
    const out: BenchExample[] = [];
    for (let i = 0; i < batch; i++) out.push(examples[at++ % examples.length]!);
    return out;
  };
  return Array.from({ length: steps }, () => Array.from({ length: micro }, () => paddedBatch(take())));
}

/** `steps` batches of `batch` packed rows each, packed from `examples` in order. */
export function packedSteps(examples: readonly BenchExample[], steps: number, batch: number): IdBatch[][] {
  const rows = packRows(examples);
  if (rows.length < steps * batch)
    throw new RangeError(`only ${rows.length} packed rows, need ${steps * batch}`);
  return Array.from({ length: steps }, (_, s) => [packedBatch(rows.slice(s * batch, (s + 1) * batch))]);
}
