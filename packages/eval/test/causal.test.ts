/**
 * Evaluation of a decoder-only model: llama-tiny (../shared fixtures) with a byte-level BPE
 * tokenizer learned from the BBH prompts. The model continues each prompt; rank classification scores
 * `" " + option` as a continuation, and the option scores equal log-probabilities computed here from
 * the model's logits by hand.
 */
import { initBackend, type CausalLMModel } from '@flan-ts/models';
import { loadCausalLM } from '@flan-ts/models/node';
import { sharedFile, tinyByteLevelBpe } from '@flan-ts/test-support';
import { ChatTemplate, HfTokenizer, parseTokenizerConfig } from '@flan-ts/tokenizer';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodingFor, evaluatePrompts, type PromptRecord, type RunSettings } from '../src/index';
import { loadPrompts } from '../src/node';
import { dataDir } from './fixtures';

const llama = sharedFile('fixtures/models/llama-tiny');

describe.skipIf(!llama || !dataDir)('decoder-only models (llama-tiny)', () => {
  let model: CausalLMModel;
  let tokenizer: HfTokenizer;
  let chat: ChatTemplate;
  let bbh: PromptRecord[];
  beforeAll(async () => {
    await initBackend('wasm');
    model = await loadCausalLM(llama!);
    bbh = await loadPrompts(dataDir!, 'bbh', 'direct', { task: 'boolean_expressions', limit: 2 });
    const bpe = tinyByteLevelBpe(bbh.map((r) => r.prompt).join('\n'), {
      vocabSize: 512,
      specials: ['<pad>', '<unk>', '<|im_end|>', '<|im_start|>'],
      eos: '<|im_end|>',
      pad: '<pad>',
    });
    const config = parseTokenizerConfig(JSON.parse(bpe.tokenizerConfig) as Record<string, unknown>);
    tokenizer = HfTokenizer.fromJson(bpe.tokenizerJson, { config });
    chat = ChatTemplate.fromConfig(config);
  });
  afterAll(() => model?.dispose());

  it('prompts are continued (no eos), options are " option" continuations, the chat form is the user turn', () => {
    const plain = encodingFor(model, tokenizer);
    const prompt = plain.prompt('Q: True and False is A:');
    expect(tokenizer.decode(prompt)).toBe('Q: True and False is A:');
    expect(prompt.at(-1)).not.toBe(2);
    expect(tokenizer.decode(plain.option('(B)'))).toBe(' (B)');
    const wrapped = encodingFor(model, tokenizer, chat);
    expect(tokenizer.decode(wrapped.prompt('hi'))).toBe(
      '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(tokenizer.decode(wrapped.option('(B)'))).toBe('(B)');
  });

  it("generation runs through the same runner; rank scores are the continuations' summed log-probs", async () => {
    const settings: RunSettings = { mode: 'generate', maxInputTokens: 2048, batchSize: 2, maxNewTokens: 4 };
    const generated = await evaluatePrompts(model, tokenizer, bbh, settings);
    expect(generated).toHaveLength(2);
    for (const r of generated) expect(typeof r.model_output).toBe('string');

    const mmlu = await loadPrompts(dataDir!, 'mmlu', 'direct', { task: 'abstract_algebra', limit: 1 });
    const before = tf.memory().numTensors;
    const [ranked] = await evaluatePrompts(model, tokenizer, mmlu, { ...settings, mode: 'rank' });
    expect(tf.memory().numTensors).toBe(before);
    const encoding = encodingFor(model, tokenizer);
    const prompt = encoding.prompt(mmlu[0]!.prompt);
    const byHand = ['A', 'B', 'C', 'D'].map((l) => {
      const option = encoding.option(`(${l})`);
      const ids = [...prompt, ...option];
      return tf.tidy(() => {
        const logits = model.forward({ inputIds: tf.tensor2d([ids], undefined, 'int32') });
        const logp = tf.logSoftmax(tf.squeeze(logits, [0])).arraySync() as number[][];
        // Position t predicts token t + 1: the option's tokens are predicted from the prompt's last on.
        return option.reduce((sum, id, j) => sum + logp[prompt.length - 1 + j]![id]!, 0);
      });
    });
    ranked!.option_scores!.forEach((s, i) => expect(Math.abs(s - byHand[i]!)).toBeLessThan(1e-3));
  });
});
