/**
 * The decoder-only feature converter (seqio's `DecoderFeatureConverter` with inputs, TRL's
 * completion-only loss): an example's row is `inputs ++ targets`, and the loss falls on the targets
 * only (labels −100 on the prompt). Padding mode right-pads each row with the pad id; packing mode
 * lays several examples in a row as Hugging Face's `DataCollatorWithFlattening` does: positions
 * restart at 0 per example, segment ids keep attention inside each example, and the first token of
 * each example takes no loss, so no target is predicted across a boundary.
 */
import type { CausalIdBatch } from '../batch';
import type { Example, FeatureLengths } from './example';
import { IGNORE_INDEX, type PadOptions } from './pad';

/** A decoder-only row's length: the prompt's and the response's lengths together. */
export const causalRowLength = (lengths: FeatureLengths): number =>
  lengths.inputLength + lengths.targetLength;

/** Whether `example` still fits a packed row already holding `row`. */
export function fitsCausalRow(row: readonly Example[], example: Example, lengths: FeatureLengths): boolean {
  let used = example.inputs.length + example.targets.length;
  for (const e of row) used += e.inputs.length + e.targets.length;
  return used <= causalRowLength(lengths);
}

function roundUp(n: number, multiple: number, cap: number): number {
  return Math.min(cap, Math.ceil(n / multiple) * multiple);
}

/** One padded decoder-only batch of (trimmed) examples, right-padded with `padId`. */
export function padCausalBatch(
  examples: readonly Example[],
  lengths: FeatureLengths,
  padId: number,
  options: PadOptions = {},
): CausalIdBatch {
  if (examples.length === 0) throw new RangeError('padCausalBatch needs at least one example');
  const multiple = options.multipleOf ?? 1;
  if (!Number.isInteger(multiple) || multiple < 1)
    throw new RangeError(`multipleOf must be a positive integer, got ${multiple}`);
  const max = causalRowLength(lengths);
  const longest = Math.max(...examples.map((e) => e.inputs.length + e.targets.length));
  const length = (options.padTo ?? 'longest') === 'longest' ? roundUp(longest, multiple, max) : max;
  if (longest > length) throw new RangeError('padCausalBatch: example longer than the row (trim it first)');
  const batch: CausalIdBatch = { input_ids: [], attention_mask: [], labels: [] };
  for (const e of examples) {
    const real = e.inputs.length + e.targets.length;
    const pad = length - real;
    batch.input_ids.push([...e.inputs, ...e.targets, ...new Array<number>(pad).fill(padId)]);
    batch.attention_mask.push([...new Array<number>(real).fill(1), ...new Array<number>(pad).fill(0)]);
    batch.labels.push([
      ...new Array<number>(e.inputs.length).fill(IGNORE_INDEX),
      ...e.targets,
      ...new Array<number>(pad).fill(IGNORE_INDEX),
    ]);
  }
  return batch;
}

/** Packed decoder-only rows (each a list of examples that fit, in order), full row length. */
export function packedCausalBatch(
  rows: readonly (readonly Example[])[],
  lengths: FeatureLengths,
  padId: number,
): Required<CausalIdBatch> {
  const length = causalRowLength(lengths);
  const batch: Required<CausalIdBatch> = {
    input_ids: [],
    attention_mask: [],
    labels: [],
    segment_ids: [],
    position_ids: [],
  };
  for (const segments of rows) {
    const ids = new Array<number>(length).fill(padId);
    const mask = new Array<number>(length).fill(0);
    const labels = new Array<number>(length).fill(IGNORE_INDEX);
    const segmentIds = new Array<number>(length).fill(0);
    const positions = new Array<number>(length).fill(0);
    let at = 0;
    segments.forEach((e, s) => {
      const row = [...e.inputs, ...e.targets];
      if (at + row.length > length) throw new RangeError('packed row overflows its length');
      row.forEach((id, i) => {
        ids[at] = id;
        mask[at] = 1;
        segmentIds[at] = s + 1;
        positions[at] = i;
        // The first token of an example is never a target: it would be predicted from the previous one.
        labels[at] = i >= e.inputs.length && i > 0 ? id : IGNORE_INDEX;
        at++;
      });
    });
    batch.input_ids.push(ids);
    batch.attention_mask.push(mask);
    batch.labels.push(labels);
    batch.segment_ids.push(segmentIds);
    batch.position_ids.push(positions);
  }
  return batch;
}
