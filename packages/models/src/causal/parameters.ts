/**
 * The tensors a decoder-only checkpoint holds, by Hugging Face name, derived from the config alone
 * (`nn.Linear` layout `[out, in]`), in `named_parameters()` order.
 */
import type { ExpectedTensor } from '../t5/parameters';
import type { CausalLMConfig } from './config';

export function expectedCausalTensors(config: CausalLMConfig): ExpectedTensor[] {
  const { vocabSize, hiddenSize: h, intermediateSize: f, numHeads, numKeyValueHeads, headDim: d } = config;
  const out: ExpectedTensor[] = [];
  const add = (name: string, shape: number[], required = true) => out.push({ name, shape, required });
  add('model.embed_tokens.weight', [vocabSize, h]);
  for (let i = 0; i < config.numLayers; i++) {
    const p = `model.layers.${i}`;
    const projections: [string, number, number, boolean][] = [
      ['q_proj', numHeads * d, h, config.qkvBias],
      ['k_proj', numKeyValueHeads * d, h, config.qkvBias],
      ['v_proj', numKeyValueHeads * d, h, config.qkvBias],
      ['o_proj', h, numHeads * d, config.outputBias],
    ];
    for (const [name, rows, cols, bias] of projections) {
      add(`${p}.self_attn.${name}.weight`, [rows, cols]);
      if (bias) add(`${p}.self_attn.${name}.bias`, [rows]);
    }
    if (config.qkNorm) {
      add(`${p}.self_attn.q_norm.weight`, [d]);
      add(`${p}.self_attn.k_norm.weight`, [d]);
    }
    const mlp: [string, number, number][] = [
      ['gate_proj', f, h],
      ['up_proj', f, h],
      ['down_proj', h, f],
    ];
    for (const [name, rows, cols] of mlp) {
      add(`${p}.mlp.${name}.weight`, [rows, cols]);
      if (config.mlpBias) add(`${p}.mlp.${name}.bias`, [rows]);
    }
    add(`${p}.input_layernorm.weight`, [h]);
    add(`${p}.post_attention_layernorm.weight`, [h]);
  }
  add('model.norm.weight', [h]);
  add('lm_head.weight', [vocabSize, h], !config.tieWordEmbeddings);
  return out;
}
