/**
 * The merge table of a BPE model: (left id, right id) → merge rank, an open-addressing hash table in
 * typed arrays. A `Map` keyed by `left * 2^21 + right` costs a heap number per key, which made
 * building Qwen3's 151k merges and looking pairs up in the merge loop the slowest steps.
 */
export class PairTable {
  private readonly lefts: Int32Array;
  private readonly rights: Int32Array;
  private readonly ranks: Int32Array;
  private readonly mask: number;

  /** A table with room for `capacity` pairs (kept at most half full). */
  constructor(capacity: number) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.lefts = new Int32Array(size).fill(-1);
    this.rights = new Int32Array(size);
    this.ranks = new Int32Array(size);
    this.mask = size - 1;
  }

  private slot(left: number, right: number): number {
    let h = Math.imul(left, 0x9e3779b1) ^ Math.imul(right + 0x7f4a7c15, 0x85ebca77);
    h ^= h >>> 15;
    return h & this.mask;
  }

  /** Sets the rank of a pair, replacing an earlier one (a repeated merge keeps its last rank, as `tokenizers`). */
  set(left: number, right: number, rank: number): void {
    const { lefts, rights, mask } = this;
    let i = this.slot(left, right);
    while (lefts[i] !== -1 && (lefts[i] !== left || rights[i] !== right)) i = (i + 1) & mask;
    lefts[i] = left;
    rights[i] = right;
    this.ranks[i] = rank;
  }

  /** The rank of a pair, or -1 when the two ids do not merge. */
  get(left: number, right: number): number {
    const { lefts, rights, mask } = this;
    let i = this.slot(left, right);
    for (;;) {
      const l = lefts[i]!;
      if (l === -1) return -1;
      if (l === left && rights[i] === right) return this.ranks[i]!;
      i = (i + 1) & mask;
    }
  }
}
