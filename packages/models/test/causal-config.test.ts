/**
 * Config parsing of the decoder-only families, the `llama3` and `linear` rope scalings against the
 * definition of transformers' `_compute_llama3_parameters` (computed here in float64, independently
 * of the float32 implementation), and padding-free packing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index';
import { parseCausalConfig, toHuggingFaceCausalConfig } from '../src/causal/config';
import { computeCausalGradients } from '../src/causal/gradients';
import { packedRowIds } from '../src/causal/masks';
import type { CausalLMModel } from '../src/causal/model';
import { ropeInvFreq } from '../src/causal/rope';
import { causalFixtureDir, loadCausalModel, maxAbsDiff } from './causal-fixtures';

const LLAMA_3_2 = {
  model_type: 'llama',
  vocab_size: 1000,
  hidden_size: 2048,
  intermediate_size: 8192,
  num_hidden_layers: 2,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  head_dim: 64,
  rope_theta: 500000.0,
  max_position_embeddings: 131072,
  rope_scaling: {
    rope_type: 'llama3',
    factor: 32.0,
    low_freq_factor: 1.0,
    high_freq_factor: 4.0,
    original_max_position_embeddings: 8192,
  },
  eos_token_id: [128001, 128008, 128009],
  tie_word_embeddings: true,
};

describe('decoder-only configs', () => {
  it('llama3 rope scaling follows _compute_llama3_parameters (float64 reference, rtol 1e-6)', () => {
    const config = parseCausalConfig(LLAMA_3_2);
    const {
      factor,
      low_freq_factor: low,
      high_freq_factor: high,
      original_max_position_embeddings: old,
    } = LLAMA_3_2.rope_scaling;
    const dim = 64;
    const expected = Array.from({ length: dim / 2 }, (_, i) => {
      const freq = 1 / 500000 ** ((2 * i) / dim);
      const wavelen = (2 * Math.PI) / freq;
      if (wavelen < old / high) return freq;
      if (wavelen > old / low) return freq / factor;
      const smooth = (old / wavelen - low) / (high - low);
      return ((1 - smooth) * freq) / factor + smooth * freq;
    });
    const actual = ropeInvFreq(config);
    expect(actual).toHaveLength(32);
    const worst = Math.max(...expected.map((e, i) => Math.abs(actual[i]! - e) / e));
    expect(worst).toBeLessThan(1e-6);
    // All three regimes occur in this config: kept, interpolated, divided.
    const base = Array.from({ length: 32 }, (_, i) => 1 / 500000 ** ((2 * i) / dim));
    const ratios = base.map((b, i) => expected[i]! / b);
    expect(ratios.some((r) => r === 1)).toBe(true);
    expect(ratios.some((r) => Math.abs(r - 1 / factor) < 1e-12)).toBe(true);
    expect(ratios.some((r) => r > 1 / factor + 1e-6 && r < 1 - 1e-6)).toBe(true);
    expect(config.eosTokenIds).toEqual([128001, 128008, 128009]);
  });

  it('linear rope scaling divides the frequencies by the factor', () => {
    const plain = ropeInvFreq(parseCausalConfig({ ...LLAMA_3_2, rope_scaling: null }));
    const linear = ropeInvFreq(
      parseCausalConfig({ ...LLAMA_3_2, rope_scaling: { type: 'linear', factor: 4.0 } }),
    );
    expect(
      maxAbsDiff(
        linear,
        plain.map((v) => v / 4),
      ),
    ).toBeLessThan(1e-9);
  });

  it('qwen2 has q/k/v biases, mistral none; configs round-trip through the HF keys', () => {
    const qwen2 = parseCausalConfig({ ...LLAMA_3_2, model_type: 'qwen2', rope_scaling: null });
    expect([qwen2.qkvBias, qwen2.outputBias, qwen2.qkNorm]).toEqual([true, false, false]);
    const mistral = parseCausalConfig({
      ...LLAMA_3_2,
      model_type: 'mistral',
      sliding_window: null,
      rope_scaling: null,
    });
    expect([mistral.qkvBias, mistral.outputBias]).toEqual([false, false]);
    const config = parseCausalConfig(LLAMA_3_2);
    expect(parseCausalConfig(toHuggingFaceCausalConfig(config))).toEqual(config);
  });

  it('names the key of a bad or unsupported config', () => {
    expect(() => parseCausalConfig({ ...LLAMA_3_2, model_type: 'gpt2' })).toThrow(/"model_type" is "gpt2"/);
    expect(() => parseCausalConfig({ ...LLAMA_3_2, num_key_value_heads: 5 })).toThrow(/num_key_value_heads/);
    expect(() => parseCausalConfig({ ...LLAMA_3_2, model_type: 'qwen2', use_sliding_window: true })).toThrow(
      /sliding/,
    );
    expect(() => parseCausalConfig({ ...LLAMA_3_2, rope_scaling: { rope_type: 'yarn', factor: 2 } })).toThrow(
      /yarn/,
    );
    expect(() => parseCausalConfig({ ...LLAMA_3_2, hidden_act: 'gelu' }, 'x/config.json')).toThrow(
      /x\/config.json.*hidden_act/,
    );
  });
});

describe.skipIf(!causalFixtureDir('qwen3-tiny'))('padding-free packing (qwen3-tiny on wasm)', () => {
  let model: CausalLMModel;
  beforeAll(async () => {
    await initBackend('wasm');
    model = loadCausalModel('qwen3-tiny');
  });
  afterAll(() => model?.dispose());

  it('two examples in one row: each sees only itself (logits as if alone), and the loss trains', () => {
    const a = [17, 200, 33, 4, 91];
    const b = [300, 12, 77, 450];
    const { segmentIds, positionIds } = packedRowIds([a.length, b.length], 10);
    expect(positionIds).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 0]);
    const before = tf.memory().numTensors;
    const packed = {
      inputIds: tf.tensor2d([[...a, ...b, 0]], undefined, 'int32'),
      segmentIds: tf.tensor2d([segmentIds], undefined, 'int32'),
      positionIds: tf.tensor2d([positionIds], undefined, 'int32'),
    };
    const logits = model.forward(packed);
    const alone = [a, b].map((ids) =>
      tf.tidy(() => model.forward({ inputIds: tf.tensor2d([ids], undefined, 'int32') })),
    );
    const got = logits.arraySync()[0]!;
    expect(maxAbsDiff(got.slice(0, 5).flat(), alone[0]!.arraySync()[0]!.flat())).toBeLessThan(1e-5);
    expect(maxAbsDiff(got.slice(5, 9).flat(), alone[1]!.arraySync()[0]!.flat())).toBeLessThan(1e-5);
    // The first token of each example is not a target of the one before (DataCollatorWithFlattening).
    const labels = tf.tensor2d([[-100, ...a.slice(1), -100, ...b.slice(1), -100]], undefined, 'int32');
    const { loss, grads } = computeCausalGradients(model, { ...packed, labels });
    expect(Number.isFinite(loss.dataSync()[0])).toBe(true);
    expect(grads.size).toBe(model.parameters().size);
    tf.dispose([logits, ...alone, labels, loss, ...grads.values(), ...Object.values(packed)]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
