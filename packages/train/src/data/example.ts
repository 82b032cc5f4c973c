/** One tokenized training example and the seqio-style preprocessors that act on it alone. */

/** Token ids of one example, ready for padding or packing. */
export interface Example {
  /** Encoder ids (eos included for text sources). */
  inputs: number[];
  /** Decoder target ids (eos included for text sources). */
  targets: number[];
  /**
   * The ids end with an eos that truncation must keep last (seqio's `append_eos_after_trim`, Hugging Face's
   * `truncation=True`). Text sources set it; id sources do not, their ids are used as given.
   */
  eos?: number;
}

/** Feature lengths: the longest encoder and decoder sequence (paper 2048/512 for T5; default 512/128 here). */
export interface FeatureLengths {
  inputLength: number;
  targetLength: number;
}

export const DEFAULT_FEATURE_LENGTHS: Readonly<FeatureLengths> = Object.freeze({
  inputLength: 512,
  targetLength: 128,
});

/** Resolves and checks lengths (positive integers). */
export function featureLengths(lengths: Partial<FeatureLengths> = {}): FeatureLengths {
  const out = { ...DEFAULT_FEATURE_LENGTHS, ...lengths };
  for (const [key, value] of Object.entries(out)) {
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(`${key} must be a positive integer, got ${value}`);
  }
  return out;
}

function trimIds(ids: number[], length: number, eos: number | undefined): number[] {
  if (ids.length <= length) return ids;
  const cut = ids.slice(0, length);
  // The eos marks the end of the sequence for the model: keep it last, as seqio's append_eos_after_trim does.
  if (eos !== undefined && ids[ids.length - 1] === eos) cut[length - 1] = eos;
  return cut;
}

/** Cuts each feature to its length (seqio `trim_and_pad`'s trim half). Returns the example itself when nothing is cut. */
export function trimExample(example: Example, lengths: FeatureLengths): Example {
  const inputs = trimIds(example.inputs, lengths.inputLength, example.eos);
  const targets = trimIds(example.targets, lengths.targetLength, example.eos);
  if (inputs === example.inputs && targets === example.targets) return example;
  return { ...example, inputs, targets };
}
