/**
 * Rotary position embedding frequencies as transformers computes them (`ROPE_INIT_FUNCTIONS` in
 * `modeling_rope_utils.py`), in float32 step by step as torch evaluates them on float32 tensors, so
 * the angles match Hugging Face's bit for bit where the math library does.
 */
import type { CausalLMConfig, RopeScaling } from './config';

const f32 = Math.fround;

/** `1 / theta^(arange(0, dim, 2) / dim)` in float32 (`_compute_default_rope_parameters`). */
export function defaultInvFreq(theta: number, dim: number): Float32Array {
  const out = new Float32Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) out[i] = f32(1 / f32(Math.pow(f32(theta), f32((2 * i) / dim))));
  return out;
}

/**
 * `_compute_llama3_parameters`: wavelengths longer than `original / low_freq_factor` are divided by
 * `factor`, shorter than `original / high_freq_factor` kept, and those between interpolated with
 * `smooth = (original / wavelen − low) / (high − low)`.
 */
export function llama3InvFreq(
  base: Float32Array,
  scaling: Extract<RopeScaling, { type: 'llama3' }>,
): Float32Array {
  const { factor, lowFreqFactor: low, highFreqFactor: high, originalMaxPositionEmbeddings: old } = scaling;
  const lowFreqWavelen = old / low;
  const highFreqWavelen = old / high;
  const out = new Float32Array(base.length);
  base.forEach((freq, i) => {
    const wavelen = f32(f32(2 * Math.PI) / freq);
    const scaled = wavelen > lowFreqWavelen ? f32(freq / f32(factor)) : freq;
    const isMedium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
    if (!isMedium) {
      out[i] = scaled;
      return;
    }
    const smooth = f32(f32(f32(f32(old) / wavelen) - f32(low)) / f32(high - low));
    out[i] = f32(f32(f32(f32(1 - smooth) * scaled) / f32(factor)) + f32(smooth * scaled));
  });
  return out;
}

/** The inverse frequencies `[headDim / 2]` of a config, its `rope_scaling` applied. */
export function ropeInvFreq(
  config: Pick<CausalLMConfig, 'ropeTheta' | 'headDim' | 'ropeScaling'>,
): Float32Array {
  const base = defaultInvFreq(config.ropeTheta, config.headDim);
  const scaling = config.ropeScaling;
  if (scaling === undefined) return base;
  if (scaling.type === 'linear') return base.map((v) => f32(v / f32(scaling.factor)));
  return llama3InvFreq(base, scaling);
}
