/** The BPE model's own data structures: the vocabulary object, the pair table, the two merge loops. */
import { describe, expect, it } from 'vitest';
import { HfTokenizer } from '../src/index';
import { PairTable } from '../src/hf/pair-table';

const tiny = (extra: Record<string, unknown> = {}) =>
  HfTokenizer.fromJson({
    model: {
      type: 'BPE',
      vocab: { '<unk>': 0, a: 1, b: 2, ab: 3, aa: 4, aaaa: 5 },
      merges: ['a b', 'a a', 'aa aa'],
      unk_token: '<unk>',
      ...extra,
    },
  });

describe('BPE vocabulary', () => {
  it('names inherited from Object.prototype are not tokens', () => {
    const t = tiny({ ignore_merges: true });
    expect(t.tokenToId('constructor')).toBeUndefined();
    expect(t.tokenToId('toString')).toBeUndefined();
    expect(t.tokenToId('ab')).toBe(3);
    // Whole-word lookup (ignore_merges) misses, every character is unknown: one <unk> each.
    expect(Array.from(t.encode('constructor').ids)).toEqual(new Array(11).fill(0));
  });

  it('merges lowest rank first, leftmost first, in short (scan) and long (heap) words', () => {
    const t = tiny();
    expect(Array.from(t.encode('aaab').ids)).toEqual([4, 3]);
    expect(Array.from(t.encode('aaaaa').ids)).toEqual([5, 1]);
    // 41 symbols: above the scan limit, the heap gives the same rule.
    expect(Array.from(t.encode('a'.repeat(41)).ids)).toEqual([...new Array(10).fill(5), 1]);
    expect(Array.from(t.encode('ab'.repeat(30)).ids)).toEqual(new Array(30).fill(3));
  });
});

describe('PairTable', () => {
  it('finds every pair it holds and no other, through collisions, keeping the last rank of a repeat', () => {
    const table = new PairTable(5000);
    for (let i = 0; i < 5000; i++) table.set(i % 97, Math.floor(i / 97), i);
    table.set(3, 0, 123_456);
    for (let i = 0; i < 5000; i++) {
      const want = i === 3 ? 123_456 : i;
      expect(table.get(i % 97, Math.floor(i / 97))).toBe(want);
    }
    expect(table.get(97, 0)).toBe(-1);
    expect(table.get(0, 52)).toBe(-1);
  });
});
