/**
 * The tokenizer.json components on small hand-made pipelines (a tiny BPE vocabulary), and the
 * errors for components this library does not know, raised when the file is read.
 */
import { describe, expect, it } from 'vitest';
import { HfTokenizer, TokenizerError } from '../src/index';

const vocab = {
  '<unk>': 0,
  '<s>': 1,
  '</s>': 2,
  '▁': 3,
  a: 4,
  b: 5,
  '▁a': 6,
  ab: 7,
  '▁ab': 8,
  '<0x41>': 9,
  '<0xC3>': 10,
  '<0xA9>': 11,
};
const base = {
  model: { type: 'BPE', vocab, merges: ['▁ a', 'a b', '▁a b'], unk_token: '<unk>', byte_fallback: true },
  added_tokens: [
    { id: 1, content: '<s>', special: true, normalized: false },
    { id: 2, content: '</s>', special: true, normalized: false, lstrip: true },
  ],
  normalizer: {
    type: 'Sequence',
    normalizers: [
      { type: 'Prepend', prepend: '▁' },
      { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
    ],
  },
  pre_tokenizer: null,
  post_processor: {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
  },
  decoder: {
    type: 'Sequence',
    decoders: [
      { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
      { type: 'ByteFallback' },
      { type: 'Fuse' },
      { type: 'Strip', content: ' ', start: 1, stop: 0 },
    ],
  },
};

describe('a Llama-2-style pipeline (Prepend/Replace, byte fallback, TemplateProcessing)', () => {
  const t = new HfTokenizer(structuredClone(base));

  it('encodes with merges by rank, byte fallback for unknown characters, and the template', () => {
    const e = t.encode('ab aA');
    expect(Array.from(e.ids)).toEqual([1, 8, 6, 9]);
    expect(e.pieces).toEqual(['<s>', '▁ab', '▁a', '<0x41>']);
    expect(Array.from(t.encode('ab', { addSpecialTokens: false }).ids)).toEqual([8]);
    // é is two bytes, both in the vocabulary; z has no byte tokens here, so it is <unk>.
    expect(Array.from(t.encode('é', { addSpecialTokens: false }).ids)).toEqual([3, 10, 11]);
  });

  it('splits added tokens first; lstrip absorbs the space before </s>', () => {
    expect(t.encode('ab </s>').pieces).toEqual(['<s>', '▁ab', '</s>']);
  });

  it('decodes through Replace, ByteFallback, Fuse and Strip', () => {
    expect(t.decode([1, 8, 6, 9, 3, 10, 11])).toBe('<s> ab aA é');
    expect(t.decode([1, 8, 6, 9], { skipSpecialTokens: true })).toBe('ab aA');
    expect(t.decode([10])).toBe('\ufffd');
  });
});

describe('RobertaProcessing and Metaspace', () => {
  it('wraps in cls/sep and maps spaces with Metaspace', () => {
    const t = new HfTokenizer({
      ...structuredClone(base),
      normalizer: null,
      pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
      post_processor: { type: 'RobertaProcessing', cls: ['<s>', 1], sep: ['</s>', 2] },
      decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always' },
    });
    const e = t.encode('ab a');
    expect(Array.from(e.ids)).toEqual([1, 8, 6, 2]);
    expect(t.decode([8, 6])).toBe('ab a');
  });
});

describe('unknown components fail when the file is read, naming them', () => {
  for (const [key, value, message] of [
    ['normalizer', { type: 'Magic' }, 'normalizer type "Magic" is not supported'],
    [
      'pre_tokenizer',
      { type: 'Sequence', pretokenizers: [{ type: 'Odd' }] },
      'pre_tokenizer type "Odd" is not supported',
    ],
    ['post_processor', { type: 'Glue' }, 'post_processor type "Glue" is not supported'],
    ['decoder', { type: 'Mystery' }, 'decoder type "Mystery" is not supported'],
    ['model', { type: 'WordLevel', vocab: {} }, 'model type "WordLevel" is not supported'],
  ] as const) {
    it(key, () => {
      const json = { ...structuredClone(base), [key]: value };
      expect(() => new HfTokenizer(json, { source: 'x/tokenizer.json' })).toThrow(TokenizerError);
      expect(() => new HfTokenizer(json, { source: 'x/tokenizer.json' })).toThrow(
        `x/tokenizer.json: ${message}`,
      );
    });
  }
});
