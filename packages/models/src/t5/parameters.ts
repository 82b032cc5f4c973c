/**
 * The parameters a T5ForConditionalGeneration checkpoint holds, by Hugging Face name, derived from
 * the config alone. Layouts are PyTorch `nn.Linear` ([out_features, in_features]).
 */
import type { T5Config } from './config';

export interface ExpectedTensor {
  name: string;
  shape: readonly number[];
  /**
   * False only for `lm_head.weight` of a tied model: Hugging Face does not store it (it is
   * `shared.weight`), but older checkpoints do.
   */
  required: boolean;
}

/**
 * Names Hugging Face may store that are the same parameter as another one. They are accepted and not
 * read: `embed_tokens` of both stacks are always `shared.weight` in T5.
 */
export const T5_ALIASES: ReadonlyMap<string, string> = new Map([
  ['encoder.embed_tokens.weight', 'shared.weight'],
  ['decoder.embed_tokens.weight', 'shared.weight'],
]);

/**
 * Stored by some early checkpoints (t5-small and friends) but never used by T5: cross-attention has
 * no position bias. Hugging Face ignores it on load (`_keys_to_ignore_on_load_unexpected`); so do we.
 */
export const T5_IGNORED: ReadonlySet<string> = new Set([
  'decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight',
]);

/** Every tensor of the T5 described by `config`, in the order the network uses them. */
export function expectedT5Tensors(config: T5Config): ExpectedTensor[] {
  const { vocabSize, dModel, dFf, numHeads, dKv, relativeAttentionNumBuckets } = config;
  const inner = numHeads * dKv;
  const out: ExpectedTensor[] = [];
  const add = (name: string, shape: number[], required = true) => out.push({ name, shape, required });

  const attention = (prefix: string, hasBias: boolean) => {
    for (const p of ['q', 'k', 'v']) add(`${prefix}.${p}.weight`, [inner, dModel]);
    add(`${prefix}.o.weight`, [dModel, inner]);
    if (hasBias) add(`${prefix}.relative_attention_bias.weight`, [relativeAttentionNumBuckets, numHeads]);
  };
  const feedForward = (prefix: string) => {
    if (config.isGatedAct) {
      add(`${prefix}.wi_0.weight`, [dFf, dModel]);
      add(`${prefix}.wi_1.weight`, [dFf, dModel]);
    } else {
      add(`${prefix}.wi.weight`, [dFf, dModel]);
    }
    add(`${prefix}.wo.weight`, [dModel, dFf]);
  };

  add('shared.weight', [vocabSize, dModel]);
  for (let i = 0; i < config.numLayers; i++) {
    const block = `encoder.block.${i}`;
    attention(`${block}.layer.0.SelfAttention`, i === 0);
    add(`${block}.layer.0.layer_norm.weight`, [dModel]);
    feedForward(`${block}.layer.1.DenseReluDense`);
    add(`${block}.layer.1.layer_norm.weight`, [dModel]);
  }
  add('encoder.final_layer_norm.weight', [dModel]);
  for (let i = 0; i < config.numDecoderLayers; i++) {
    const block = `decoder.block.${i}`;
    attention(`${block}.layer.0.SelfAttention`, i === 0);
    add(`${block}.layer.0.layer_norm.weight`, [dModel]);
    attention(`${block}.layer.1.EncDecAttention`, false);
    add(`${block}.layer.1.layer_norm.weight`, [dModel]);
    feedForward(`${block}.layer.2.DenseReluDense`);
    add(`${block}.layer.2.layer_norm.weight`, [dModel]);
  }
  add('decoder.final_layer_norm.weight', [dModel]);
  add('lm_head.weight', [vocabSize, dModel], !config.tieWordEmbeddings);
  return out;
}
