/**
 * A small byte-level BPE tokenizer (GPT-2's byte alphabet, merges learned from a text), written as
 * Hugging Face `tokenizer.json` + `tokenizer_config.json` with a ChatML chat template: what a test
 * pairs with a tiny decoder-only checkpoint whose vocabulary is a few hundred ids (llama-tiny's 512).
 */

import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** GPT-2's `bytes_to_unicode`: each byte as a printable character. */
function byteAlphabet(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const out = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    out[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + extra++);
  }
  return out;
}

export interface TinyBpe {
  /** `tokenizer.json` text. */
  tokenizerJson: string;
  /** `tokenizer_config.json` text. */
  tokenizerConfig: string;
  vocabSize: number;
}

/**
 * Special tokens first (ids 0…), then the 256 byte symbols, then merges learned greedily from `text`
 * (most frequent adjacent pair within whitespace-delimited words, ties to the first seen) until the
 * vocabulary has `vocabSize` entries.
 */
export function tinyByteLevelBpe(
  text: string,
  options: { vocabSize: number; specials: string[]; eos: string; pad: string },
): TinyBpe {
  const alphabet = byteAlphabet();
  const vocab = new Map<string, number>();
  for (const s of options.specials) vocab.set(s, vocab.size);
  for (const ch of alphabet) vocab.set(ch, vocab.size);
  const encoder = new TextEncoder();
  const words = (text.match(/ ?\S+|\s+/g) ?? []).map((w) => [...encoder.encode(w)].map((b) => alphabet[b]!));
  const merges: string[] = [];
  while (vocab.size < options.vocabSize) {
    const counts = new Map<string, number>();
    for (const w of words)
      for (let i = 0; i + 1 < w.length; i++) {
        const pair = `${w[i]} ${w[i + 1]}`;
        counts.set(pair, (counts.get(pair) ?? 0) + 1);
      }
    let best: string | undefined;
    let bestCount = 1;
    for (const [pair, n] of counts) if (n > bestCount) [best, bestCount] = [pair, n];
    if (best === undefined) break;
    const [a, b] = best.split(' ') as [string, string];
    merges.push(best);
    vocab.set(a + b, vocab.size);
    for (const w of words) {
      for (let i = 0; i + 1 < w.length; i++) {
        if (w[i] === a && w[i + 1] === b) w.splice(i, 2, a + b);
      }
    }
  }
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: options.specials.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: byteLevel,
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(vocab),
      merges,
    },
  };
  const chatTemplate =
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
  const config = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    eos_token: options.eos,
    pad_token: options.pad,
    bos_token: null,
    add_bos_token: false,
    add_eos_token: false,
    model_max_length: 256,
    chat_template: chatTemplate,
  };
  return {
    tokenizerJson: JSON.stringify(tokenizer),
    tokenizerConfig: JSON.stringify(config, null, 2),
    vocabSize: vocab.size,
  };
}

/**
 * Writes llama-tiny's checkpoint (`llamaDir`) into `dir` with a 512-id byte-level BPE `tokenizer.json`
 * learned from the CoT files of `cotDir`, and a `tokenizer_config.json` with a ChatML chat template
 * (llama-tiny's conventions: pad 0, eos 2): a decoder-only model that reads and writes text.
 */
export function writeLlamaTinyWithBpe(dir: string, llamaDir: string, cotDir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const f of ['config.json', 'generation_config.json', 'model.safetensors'])
    copyFileSync(join(llamaDir, f), join(dir, f));
  const text = ['gsm8k', 'strategyqa']
    .map((t) => readFileSync(join(cotDir, `${t}.jsonl`), 'utf8'))
    .join('\n');
  const bpe = tinyByteLevelBpe(text.slice(0, 60_000), {
    vocabSize: 512,
    specials: ['<pad>', '<unk>', '<|im_end|>', '<|im_start|>'],
    eos: '<|im_end|>',
    pad: '<pad>',
  });
  if (bpe.vocabSize !== 512) throw new Error(`the BPE tokenizer has ${bpe.vocabSize} ids, not 512`);
  writeFileSync(join(dir, 'tokenizer.json'), bpe.tokenizerJson);
  writeFileSync(join(dir, 'tokenizer_config.json'), bpe.tokenizerConfig);
}
