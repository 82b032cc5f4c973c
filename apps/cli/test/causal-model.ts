/** A decoder-only checkpoint for the CLI tests: llama-tiny with a byte-level BPE tokenizer learned from CoT data. */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tinyByteLevelBpe } from '@flan-ts/test-support';

/**
 * Writes llama-tiny's checkpoint (`llamaDir`) into `dir` with a 512-id byte-level BPE `tokenizer.json`
 * learned from the CoT files of `cotDir`, and a `tokenizer_config.json` with a ChatML chat template
 * (llama-tiny's conventions: pad 0, eos 2).
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
