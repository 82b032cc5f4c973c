/** T5 semantics, as Hugging Face's T5Tokenizer defines them. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedFile } from '@flan-ts/test-support';
import { Tokenizer } from '../src/index';
import { loadTokenizer } from '../src/node';

const modelPath = sharedFile('fixtures/tokenizers/t5_spiece.model');
const modelDir = sharedFile('fixtures/models/flan-t5-tiny');

describe.skipIf(!modelPath)('T5 tokenizer from t5_spiece.model', () => {
  const tokenizer = Tokenizer.fromBytes(readFileSync(modelPath!));
  const ids = (text: string, options?: Parameters<Tokenizer['encode']>[1]): number[] =>
    Array.from(tokenizer.encode(text, options).ids);

  it('has T5 ids: <pad> 0, </s> 1, <unk> 2, 32,100 ids in all', () => {
    expect([tokenizer.padId, tokenizer.eosId, tokenizer.unkId, tokenizer.vocabSize]).toEqual([
      0, 1, 2, 32100,
    ]);
  });

  it('numbers sentinels downwards from the vocabulary size minus one', () => {
    expect(tokenizer.tokenToId('<extra_id_0>')).toBe(32099);
    expect(tokenizer.tokenToId('<extra_id_1>')).toBe(32098);
    expect(tokenizer.tokenToId('<extra_id_99>')).toBe(32000);
    expect(tokenizer.idToToken(32000)).toBe('<extra_id_99>');
  });

  it('appends </s>, once', () => {
    expect(ids('Hello world')).toEqual([8774, 296, 1]);
    expect(ids('Hello world</s>')).toEqual([8774, 296, 1]);
    expect(ids('')).toEqual([1]);
    expect(ids('Hello world', { addSpecialTokens: false })).toEqual([8774, 296]);
  });

  it('recognises special tokens inside text, stripping the whitespace around sentinels', () => {
    const e = tokenizer.encode('The <extra_id_0> walks in <extra_id_1> park');
    expect(Array.from(e.ids)).toEqual([37, 32099, 10681, 16, 32098, 2447, 1]);
    expect(e.pieces).toEqual(['▁The', '<extra_id_0>', '▁walks', '▁in', '<extra_id_1>', '▁park', '</s>']);
    expect(ids('a</s>b')).toEqual([3, 9, 1, 3, 115, 1]);
    expect(ids('x <pad> <unk>')).toEqual([3, 226, 0, 2, 1]);
    // Plain SentencePiece splits the same text like any other characters (`<` is unknown in T5).
    expect(ids('<extra_id_0>', { addSpecialTokens: false })).not.toContain(32099);
  });

  it('counts tokens as encode does, so it can serve as a TokenCounter', () => {
    for (const text of ['Hello world', 'Hello world</s>', '', 'The <extra_id_0> walks']) {
      expect(tokenizer.countTokens(text)).toBe(tokenizer.encode(text).ids.length);
      expect(tokenizer.countTokens(text, { addSpecialTokens: false })).toBe(
        tokenizer.encode(text, { addSpecialTokens: false }).ids.length,
      );
    }
    expect(tokenizer.countTokens('Hello world')).toBe(3);
  });

  it('decodes with and without special tokens', () => {
    const e = tokenizer.encode('The <extra_id_0> walks in <extra_id_1> park');
    expect(tokenizer.decode(e.ids)).toBe('The<extra_id_0> walks in<extra_id_1> park</s>');
    expect(tokenizer.decode(e.ids, { skipSpecialTokens: true })).toBe('The walks in park');
    expect(tokenizer.decode([8774, 296, 1, 0, 0], { skipSpecialTokens: true })).toBe('Hello world');
    expect(tokenizer.decodeBatch([[8774, 1], [296]], { skipSpecialTokens: true })).toEqual([
      'Hello',
      'world',
    ]);
  });

  it('pads batches on the right by default, with attention masks, as Int32Arrays', () => {
    const batch = tokenizer.encodeBatch(['Hello world', 'Hello']);
    expect(batch.inputIds).toBeInstanceOf(Int32Array);
    expect([batch.batchSize, batch.sequenceLength]).toEqual([2, 3]);
    expect(Array.from(batch.inputIds)).toEqual([8774, 296, 1, 8774, 1, 0]);
    expect(Array.from(batch.attentionMask)).toEqual([1, 1, 1, 1, 1, 0]);
    expect(Array.from(batch.lengths)).toEqual([3, 2]);
  });

  it('pads on the left and to max_length on request', () => {
    const batch = tokenizer.encodeBatch(['Hello world', 'Hello'], {
      paddingSide: 'left',
      padding: 'max_length',
      maxLength: 4,
    });
    expect(Array.from(batch.inputIds)).toEqual([0, 8774, 296, 1, 0, 0, 8774, 1]);
    expect(Array.from(batch.attentionMask)).toEqual([0, 1, 1, 1, 0, 0, 1, 1]);
  });

  it('truncates keeping </s> last, and refuses max_length padding of a longer row without truncation', () => {
    expect(ids('Translate to German: That is good.', { truncation: true, maxLength: 4 })).toEqual([
      30355, 15, 12, 1,
    ]);
    expect(
      ids('Translate to German: That is good.', { truncation: true, maxLength: 4, addSpecialTokens: false }),
    ).toEqual([30355, 15, 12, 2968]);
    expect(() =>
      tokenizer.encodeBatch(['Translate to German: That is good.'], { padding: 'max_length', maxLength: 4 }),
    ).toThrow(/truncation/);
    const batch = tokenizer.encodeBatch(['Translate to German: That is good.', 'Hello'], {
      truncation: true,
      maxLength: 4,
      padding: 'max_length',
    });
    expect(Array.from(batch.inputIds)).toEqual([30355, 15, 12, 1, 8774, 1, 0, 0]);
  });
});

describe.skipIf(!modelDir)('T5 tokenizer from a model directory', () => {
  it('reads tokenizer_config.json: added tokens with their strip flags and model_max_length', async () => {
    const tokenizer = await loadTokenizer(modelDir!);
    expect(tokenizer.modelMaxLength).toBe(512);
    expect(tokenizer.vocabSize).toBe(32100);
    const sentinel = tokenizer.specialTokens.find((t) => t.content === '<extra_id_5>');
    expect(sentinel).toEqual({ content: '<extra_id_5>', id: 32094, lstrip: true, rstrip: true });
    expect(Array.from(tokenizer.encode('Hello <extra_id_5> world').ids)).toEqual([8774, 32094, 296, 1]);
    // model_max_length drives truncation when no maxLength is given.
    expect(tokenizer.encode('word '.repeat(600), { truncation: true }).ids).toHaveLength(512);
  });
});
