/**
 * A byte trie over the vocabulary's pieces. Edges live in one open-addressing hash table of typed
 * arrays, so a lookup is a multiply, a mask and one or two array reads: the Viterbi search walks this
 * trie from every character position, and this is where encoding spends its time.
 */
export class PieceTrie {
  /** Value stored at each node (a piece id), or -1. */
  private values: Int32Array;
  /** Open-addressing table: slot i holds the edge key at 2i and the child node at 2i+1, one cache line per probe. */
  private table: Int32Array;
  private mask: number;
  private nodeCount = 1;
  /** Children of the root by byte: every walk starts there, so it skips the hash. */
  private readonly root = new Int32Array(256).fill(-1);

  constructor(entries: Iterable<[Uint8Array, number]>) {
    const list = [...entries];
    let edges = 0;
    for (const [bytes] of list) edges += bytes.length;
    let capacity = 16;
    while (capacity < edges * 2) capacity *= 2;
    this.mask = capacity - 1;
    this.table = new Int32Array(capacity * 2).fill(-1);
    this.values = new Int32Array(edges + 1).fill(-1);
    for (const [bytes, value] of list) {
      let node = 0;
      for (const b of bytes) {
        let child = this.child(node, b);
        if (child < 0) child = this.insert(node, b);
        node = child;
      }
      // First insertion wins, as SentencePiece rejects duplicate pieces before building its trie.
      if (this.values[node] === -1) this.values[node] = value;
    }
  }

  private slot(node: number, byte: number): number {
    return Math.imul((node << 8) | byte, 0x9e3779b1) >>> 0;
  }

  private insert(node: number, byte: number): number {
    const key = (node << 8) | byte;
    let i = this.slot(node, byte) & this.mask;
    while (this.table[2 * i] !== -1) i = (i + 1) & this.mask;
    this.table[2 * i] = key;
    const child = this.nodeCount++;
    this.table[2 * i + 1] = child;
    if (node === 0) this.root[byte] = child;
    return child;
  }

  /** The child of `node` along `byte`, or -1. */
  child(node: number, byte: number): number {
    if (node === 0) return this.root[byte]!;
    const key = (node << 8) | byte;
    const table = this.table;
    const mask = this.mask;
    let i = Math.imul(key, 0x9e3779b1) >>> 0;
    for (;;) {
      i &= mask;
      const k = table[2 * i]!;
      if (k === key) return table[2 * i + 1]!;
      if (k === -1) return -1;
      i++;
    }
  }

  /** Value at `node` (a piece id), or -1. */
  value(node: number): number {
    return this.values[node]!;
  }

  /** Length in bytes of the longest key that prefixes `bytes[start..end)`, or 0. */
  longestPrefix(bytes: Uint8Array, start: number, end: number): number {
    let node = 0;
    let longest = 0;
    for (let i = start; i < end; i++) {
      node = this.child(node, bytes[i]!);
      if (node < 0) break;
      if (this.values[node]! >= 0) longest = i + 1 - start;
    }
    return longest;
  }

  /** The value of exactly `bytes`, or -1. */
  get(bytes: Uint8Array): number {
    let node = 0;
    for (const b of bytes) {
      node = this.child(node, b);
      if (node < 0) return -1;
    }
    return this.values[node]!;
  }
}
