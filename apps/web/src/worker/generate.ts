/** Generation from a prompt, streaming the decoded text after every new token (greedy and sampling). */
import { generate, type CausalLM, type Seq2SeqLM } from '@flan-ts/models';
import type { TextTokenizer } from '@flan-ts/tokenizer';
import type { GenerateSettings } from '../protocol';

export async function generateText(
  model: Seq2SeqLM | CausalLM,
  tokenizer: TextTokenizer,
  prompt: string,
  s: GenerateSettings,
  onText: (text: string) => void,
): Promise<string> {
  // A T5 reads the prompt with eos; a decoder-only model continues it (the tokenizer's own special tokens).
  const ids = Array.from(tokenizer.encode(prompt).ids);
  const decode = (t: readonly number[]) => tokenizer.decode(t, { skipSpecialTokens: true });
  const sofar: number[] = [];
  const out = await generate(model, [ids], {
    maxNewTokens: s.maxNewTokens,
    allowedVocabSize: Math.min(tokenizer.vocabSize, model.vocabSize),
    ...(s.mode === 'beam' ? { numBeams: s.numBeams } : {}),
    ...(s.mode === 'sample'
      ? { doSample: true, temperature: s.temperature, topK: s.topK, topP: s.topP, seed: s.seed }
      : {}),
    onStep: ({ tokens }) => {
      const t = tokens[0];
      if (t === null || t === undefined) return;
      sofar.push(t);
      onText(decode(sofar));
    },
  });
  return decode(out.newTokens[0]!);
}
