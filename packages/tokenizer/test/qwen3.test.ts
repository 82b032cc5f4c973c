/**
 * Parity with Hugging Face `tokenizers` 0.23.2 on Qwen3's tokenizer.json: every line of
 * qwen3.jsonl gives the reference ids, tokens and both decodes (see shared QWEN3.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedFiles } from '@flan-ts/test-support';
import { HfTokenizer } from '../src/index';
import { loadAutoTokenizer } from '../src/node';

interface EncodeLine {
  text: string;
  ids: number[];
  tokens: string[];
  decoded: string;
  decoded_skip_special: string;
}

const paths = sharedFiles('fixtures/tokenizers/qwen3/tokenizer.json', 'fixtures/tokenizers/qwen3.jsonl');

describe.skipIf(!paths)('Qwen3 tokenizer.json against qwen3.jsonl', () => {
  const [jsonPath, referencePath] = paths!;
  const tokenizer = HfTokenizer.fromJson(readFileSync(jsonPath, 'utf8'), { source: jsonPath });
  const lines = readFileSync(referencePath, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as EncodeLine);

  it('has the full reference (2,686 lines)', () => {
    expect(lines).toHaveLength(2686);
  });

  it('gives the reference ids, tokens and both decodes on every line', () => {
    const mismatches: string[] = [];
    lines.forEach((line, i) => {
      const e = tokenizer.encode(line.text);
      const ids = Array.from(e.ids);
      const got = [ids, e.pieces, tokenizer.decode(ids), tokenizer.decode(ids, { skipSpecialTokens: true })];
      const want = [line.ids, line.tokens, line.decoded, line.decoded_skip_special];
      if (JSON.stringify(got) !== JSON.stringify(want))
        mismatches.push(`line ${i + 1}: ${JSON.stringify(line.text).slice(0, 80)}`);
    });
    expect(mismatches).toEqual([]);
  });

  it('adds nothing with special tokens on or off (Qwen3 post-processor is ByteLevel)', () => {
    for (const line of lines.slice(0, 200)) {
      expect(Array.from(tokenizer.encode(line.text, { addSpecialTokens: false }).ids)).toEqual(line.ids);
    }
  });

  it('reads the added tokens: 26, of which 14 are special', () => {
    expect(tokenizer.addedTokens).toHaveLength(26);
    expect(tokenizer.specialTokens).toHaveLength(14);
    expect(tokenizer.vocabSize).toBe(151669);
    expect(tokenizer.tokenToId('<|im_start|>')).toBe(151644);
    expect(tokenizer.idToToken(151644)).toBe('<|im_start|>');
    expect(tokenizer.isSpecial(151667)).toBe(false); // <think> is kept by skipSpecialTokens
  });

  it('loads through loadAutoTokenizer from the directory, with its tokenizer_config.json', async () => {
    const dir = jsonPath.replace(/\/tokenizer\.json$/, '');
    const auto = await loadAutoTokenizer(dir);
    expect(auto).toBeInstanceOf(HfTokenizer);
    expect(auto.config?.eosToken).toBe('<|im_end|>');
    expect(auto.config?.padToken).toBe('<|endoftext|>');
    expect(auto.config?.bosToken).toBeUndefined();
    expect(auto.modelMaxLength).toBe(131072);
    expect(typeof auto.config?.chatTemplate).toBe('string');
    expect(Array.from(auto.encode('Hello, world!').ids)).toEqual([9707, 11, 1879, 0]);
  });
});
