/** A model and a tokenizer that disagree are named before any example runs. */
import { describe, expect, it } from 'vitest';
import { checkModelTokenizer, EvalError } from '../src/index';

const t5 = { vocabSize: 32128, eosTokenId: 1, padTokenId: 0 };

describe('checkModelTokenizer', () => {
  it('accepts a T5 tokenizer (32100 ids) on a 32128-row embedding', () => {
    expect(() => checkModelTokenizer(t5, { vocabSize: 32100, eosId: 1, padId: 0 })).not.toThrow();
    // A tokenizer that does not say its eos or pad is checked on size alone.
    expect(() => checkModelTokenizer(t5, { vocabSize: 32100 })).not.toThrow();
  });

  it('names a vocabulary larger than the embedding, and eos/pad disagreements', () => {
    const cases = [
      [
        { vocabSize: 50000, eosId: 1, padId: 0 },
        "the tokenizer has 50000 ids but the model's embedding has 32128 rows: not this model's tokenizer",
      ],
      [
        { vocabSize: 32100, eosId: 2, padId: 0 },
        "the tokenizer's eos id is 2 but the model's config says eos_token_id 1",
      ],
      [
        { vocabSize: 32100, eosId: 1, padId: 3 },
        "the tokenizer's pad id is 3 but the model's config says pad_token_id 0",
      ],
    ] as const;
    for (const [tokenizer, message] of cases) {
      let error: unknown;
      try {
        checkModelTokenizer(t5, tokenizer);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(EvalError);
      expect((error as EvalError).message).toBe(message);
      expect((error as EvalError).option).toBe('model');
    }
  });
});
