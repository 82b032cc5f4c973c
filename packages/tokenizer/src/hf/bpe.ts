/**
 * The BPE model of `tokenizer.json`: a word starts as one symbol per character and pairs are merged
 * lowest merge rank first (leftmost among equal ranks), exactly as `tokenizers`' `Word::merge_all`.
 * Merges are keyed by the two ids (a typed hash table) so the inner loop compares numbers, not strings.
 */
import { TokenizerError } from '../errors';
import type { Json } from './types';
import { PairTable } from './pair-table';
import { Vocabulary } from './vocabulary';
import { invalidComponent, isObject } from './types';

/** Heap entries pack rank and position; positions stay below 2^24 (a 16M-character piece). */
const POS_SPAN = 2 ** 24;
const CACHE_LIMIT = 100_000;
/** Words up to this many symbols merge by scanning for the lowest rank; longer ones use a heap. */
const SCAN_LIMIT = 24;
/** Single characters below this code get their id from a table instead of the vocabulary map. */
const CHAR_TABLE_SIZE = 0x400;

export interface BpeOptions {
  unkToken: string | null;
  continuingSubwordPrefix: string;
  endOfWordSuffix: string;
  fuseUnk: boolean;
  byteFallback: boolean;
  ignoreMerges: boolean;
}

/** One entry of `model.merges`: `[left, right]`, or the older `"left right"` string. */
function mergePair(m: unknown, rank: number, source: string): [string, string] {
  if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string')
    return m as [string, string];
  if (typeof m === 'string') {
    const space = m.indexOf(' ', 1);
    if (space > 0) return [m.slice(0, space), m.slice(space + 1)];
  }
  return invalidComponent(source, `BPE merges[${rank}] must be [left, right] or "left right"`);
}

export class BpeModel {
  readonly vocab: Vocabulary;
  /** Token string of each id (empty for ids the vocabulary does not use). */
  readonly tokens: string[];
  readonly options: BpeOptions;
  /** (left id, right id) → merge rank. */
  private readonly pairs: PairTable;
  /** The id each merge (by rank) makes. */
  private readonly mergedIds: Int32Array;
  private readonly cache = new Map<string, number[]>();
  private readonly unkId: number | undefined;
  private readonly byteIds: (number | undefined)[] = [];
  /** Id of each single character below CHAR_TABLE_SIZE as a whole symbol (-1: not in the vocabulary). */
  private readonly charIds: Int32Array | undefined;

  constructor(vocab: Vocabulary, merges: readonly unknown[], options: BpeOptions, source: string) {
    this.vocab = vocab;
    this.options = options;
    this.tokens = vocab.tokens;
    const prefixLength = options.continuingSubwordPrefix.length;
    this.pairs = new PairTable(merges.length);
    this.mergedIds = new Int32Array(merges.length);
    for (let rank = 0; rank < merges.length; rank++) {
      const [a, b] = mergePair(merges[rank], rank, source);
      const left = vocab.get(a);
      const right = vocab.get(b);
      const merged = vocab.get(prefixLength === 0 ? a + b : a + b.slice(prefixLength));
      if (left === undefined || right === undefined || merged === undefined) {
        invalidComponent(
          source,
          `BPE merge ${rank} ("${a}" "${b}") uses a token missing from the vocabulary`,
        );
      }
      // `tokenizers` collects merges into a HashMap in order, so a repeated pair keeps its last rank.
      this.pairs.set(left, right, rank);
      this.mergedIds[rank] = merged;
    }
    if (options.unkToken !== null) this.unkId = vocab.get(options.unkToken);
    if (options.byteFallback) {
      for (let b = 0; b < 256; b++)
        this.byteIds[b] = vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    }
    if (options.continuingSubwordPrefix === '' && options.endOfWordSuffix === '') {
      const charIds = new Int32Array(CHAR_TABLE_SIZE).fill(-1);
      for (let c = 0; c < CHAR_TABLE_SIZE; c++) {
        const id = vocab.get(String.fromCharCode(c));
        if (id !== undefined) charIds[c] = id;
      }
      this.charIds = charIds;
    }
  }

  /** Reads `model` of a `tokenizer.json` whose type is BPE. */
  static fromJson(model: Json, source: string): BpeModel {
    if (!isObject(model.vocab)) invalidComponent(source, 'BPE "model.vocab" must be an object');
    const vocab = new Vocabulary(model.vocab, source);
    if (!Array.isArray(model.merges)) invalidComponent(source, 'BPE "model.merges" must be an array');
    // `dropout` is ignored: it is a training-time augmentation, and encoding here is deterministic.
    const str = (v: unknown): string => (typeof v === 'string' ? v : '');
    return new BpeModel(
      vocab,
      model.merges,
      {
        unkToken: typeof model.unk_token === 'string' ? model.unk_token : null,
        continuingSubwordPrefix: str(model.continuing_subword_prefix),
        endOfWordSuffix: str(model.end_of_word_suffix),
        fuseUnk: model.fuse_unk === true,
        byteFallback: model.byte_fallback === true,
        ignoreMerges: model.ignore_merges === true,
      },
      source,
    );
  }

  /** Appends the ids of one pre-tokenized piece (cached by piece). */
  encodeInto(piece: string, out: number[]): void {
    if (piece === '') return;
    const cached = this.cache.get(piece);
    if (cached) {
      for (const id of cached) out.push(id);
      return;
    }
    const ids = this.encodeWord(piece);
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(piece, ids);
    for (const id of ids) out.push(id);
  }

  /** The ids of one pre-tokenized piece, uncached (callers that cache by another key use this). */
  encodeWord(piece: string): number[] {
    const { options, vocab } = this;
    if (options.ignoreMerges) {
      const whole = vocab.get(piece);
      if (whole !== undefined) return [whole];
    }
    const charIds = this.charIds;
    if (charIds) {
      // Byte-level pieces: every character is one table lookup.
      const symbols: number[] = [];
      let i = 0;
      for (; i < piece.length; i++) {
        const c = piece.charCodeAt(i);
        const id = c < CHAR_TABLE_SIZE ? charIds[c]! : -1;
        if (id < 0) break;
        symbols.push(id);
      }
      if (i === piece.length) return this.mergeAll(symbols);
    }
    return this.mergeAll(this.initialSymbols(piece));
  }

  /** One symbol per character (with the subword prefix and suffix), byte fallback and unknowns. */
  private initialSymbols(piece: string): number[] {
    const { options, vocab } = this;
    const symbols: number[] = [];
    const chars = Array.from(piece);
    let pendingUnk = false;
    chars.forEach((ch, i) => {
      let s = ch;
      if (i > 0) s = options.continuingSubwordPrefix + s;
      if (i === chars.length - 1) s = s + options.endOfWordSuffix;
      const id = vocab.get(s);
      if (id !== undefined) {
        symbols.push(id);
        pendingUnk = false;
        return;
      }
      if (options.byteFallback) {
        const bytes = new TextEncoder().encode(ch);
        const ids = Array.from(bytes, (b) => this.byteIds[b]);
        if (ids.every((x) => x !== undefined)) {
          for (const x of ids) symbols.push(x);
          pendingUnk = false;
          return;
        }
      }
      if (this.unkId === undefined) {
        if (options.unkToken !== null)
          throw new TokenizerError(
            'INVALID_MODEL',
            `BPE unk_token "${options.unkToken}" is not in the vocabulary`,
          );
        // Without an unk token `tokenizers` drops the character.
        return;
      }
      if (options.fuseUnk && pendingUnk) return;
      symbols.push(this.unkId);
      pendingUnk = true;
    });
    return symbols;
  }

  /**
   * Applies merges lowest rank first, leftmost among equal ranks. Every live pair is a candidate, so
   * picking the minimum (rank, position) by a scan gives the same merges as `tokenizers`' heap; the
   * scan is faster for the short words that make up most text.
   */
  private mergeAll(ids: number[]): number[] {
    const n = ids.length;
    if (n < 2) return ids;
    if (n > SCAN_LIMIT) return this.mergeAllHeap(ids);
    const { pairs, mergedIds } = this;
    const ranks = new Int32Array(n);
    let len = n;
    for (let i = 0; i < len - 1; i++) ranks[i] = pairs.get(ids[i]!, ids[i + 1]!);
    for (;;) {
      let best = -1;
      let bestRank = 0x7fffffff;
      for (let i = 0; i < len - 1; i++) {
        const r = ranks[i]!;
        if (r >= 0 && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      ids[best] = mergedIds[bestRank]!;
      for (let i = best + 1; i < len - 1; i++) {
        ids[i] = ids[i + 1]!;
        ranks[i] = ranks[i + 1]!;
      }
      len--;
      ids.length = len;
      if (best > 0) ranks[best - 1] = pairs.get(ids[best - 1]!, ids[best]!);
      ranks[best] = best < len - 1 ? pairs.get(ids[best]!, ids[best + 1]!) : -1;
    }
    return ids;
  }

  /** {@link mergeAll} over a doubly linked list with a heap, for long words. */
  private mergeAllHeap(ids: number[]): number[] {
    const n = ids.length;
    const { pairs, mergedIds } = this;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap: number[] = [];
    const push = (pos: number): void => {
      const right = next[pos]!;
      if (right < 0) return;
      const rank = pairs.get(ids[pos]!, ids[right]!);
      if (rank >= 0) heapPush(heap, rank * POS_SPAN + pos);
    };
    for (let i = 0; i < n - 1; i++) push(i);
    const alive = new Uint8Array(n).fill(1);
    while (heap.length > 0) {
      const top = heapPop(heap);
      const rank = Math.floor(top / POS_SPAN);
      const pos = top - rank * POS_SPAN;
      if (!alive[pos]) continue;
      const right = next[pos]!;
      if (right < 0) continue;
      // Stale: the pair at `pos` changed since this entry was queued.
      if (pairs.get(ids[pos]!, ids[right]!) !== rank) continue;
      ids[pos] = mergedIds[rank]!;
      alive[right] = 0;
      const after = next[right]!;
      next[pos] = after;
      if (after >= 0) prev[after] = pos;
      const before = prev[pos]!;
      if (before >= 0) push(before);
      push(pos);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i]!) out.push(ids[i]!);
    return out;
  }
}

function heapPush(heap: number[], value: number): void {
  let i = heap.length;
  heap.push(value);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent]! <= value) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = value;
}

function heapPop(heap: number[]): number {
  const top = heap[0]!;
  const last = heap.pop()!;
  if (heap.length > 0) {
    let i = 0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && heap[r]! < heap[l]! ? r : l;
      if (heap[c]! >= last) break;
      heap[i] = heap[c]!;
      i = c;
    }
    heap[i] = last;
  }
  return top;
}
