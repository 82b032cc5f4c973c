/**
 * The BPE model of `tokenizer.json`: a word starts as one symbol per character and pairs are merged
 * lowest merge rank first (leftmost among equal ranks), exactly as `tokenizers`' `Word::merge_all`.
 * Merges are keyed by the two ids so the inner loop compares numbers, not strings.
 */
import { TokenizerError } from '../errors';
import type { Json } from './types';
import { invalidComponent, isObject } from './types';

/** Ids below 2^21 fit beside each other in one exact double key. */
const ID_SPAN = 2 ** 21;
/** Heap entries pack rank and position; positions stay below 2^24 (a 16M-character piece). */
const POS_SPAN = 2 ** 24;
const CACHE_LIMIT = 100_000;

export interface BpeOptions {
  unkToken: string | null;
  continuingSubwordPrefix: string;
  endOfWordSuffix: string;
  fuseUnk: boolean;
  byteFallback: boolean;
  ignoreMerges: boolean;
}

export class BpeModel {
  readonly vocab: Map<string, number>;
  /** Token string of each id (holes for ids the vocabulary does not use). */
  readonly tokens: string[];
  readonly options: BpeOptions;
  /** (left id, right id) → rank * ID_SPAN + merged id. */
  private readonly merges = new Map<number, number>();
  private readonly cache = new Map<string, number[]>();
  private readonly unkId: number | undefined;
  private readonly byteIds: (number | undefined)[] = [];

  constructor(vocab: Map<string, number>, merges: [string, string][], options: BpeOptions, source: string) {
    this.vocab = vocab;
    this.options = options;
    let maxId = -1;
    for (const id of vocab.values()) {
      if (id >= ID_SPAN) invalidComponent(source, `BPE id ${id} is too large`);
      if (id > maxId) maxId = id;
    }
    // Preallocated and filled in place: assigning ids out of order to an empty array would leave
    // V8 with a slow dictionary-mode array.
    this.tokens = new Array<string>(maxId + 1).fill('');
    for (const [token, id] of vocab) this.tokens[id] = token;
    const prefixLength = options.continuingSubwordPrefix.length;
    merges.forEach(([a, b], rank) => {
      const left = vocab.get(a);
      const right = vocab.get(b);
      const merged = vocab.get(a + b.slice(prefixLength));
      if (left === undefined || right === undefined || merged === undefined) {
        invalidComponent(
          source,
          `BPE merge ${rank} ("${a}" "${b}") uses a token missing from the vocabulary`,
        );
      }
      const key = left * ID_SPAN + right;
      // `tokenizers` collects merges into a HashMap in order, so a repeated pair keeps its last rank.
      this.merges.set(key, rank * ID_SPAN + merged);
    });
    if (options.unkToken !== null) this.unkId = vocab.get(options.unkToken);
    if (options.byteFallback) {
      for (let b = 0; b < 256; b++)
        this.byteIds[b] = vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    }
  }

  /** Reads `model` of a `tokenizer.json` whose type is BPE. */
  static fromJson(model: Json, source: string): BpeModel {
    if (!isObject(model.vocab)) invalidComponent(source, 'BPE "model.vocab" must be an object');
    const vocab = new Map<string, number>();
    for (const [token, id] of Object.entries(model.vocab)) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0)
        invalidComponent(source, `BPE vocab entry "${token}" has invalid id ${String(id)}`);
      vocab.set(token, id);
    }
    if (!Array.isArray(model.merges)) invalidComponent(source, 'BPE "model.merges" must be an array');
    const merges = model.merges.map((m, i): [string, string] => {
      if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string')
        return [m[0], m[1]];
      // The older form: one string with the two tokens separated by a space.
      if (typeof m === 'string') {
        const space = m.indexOf(' ', 1);
        if (space > 0) return [m.slice(0, space), m.slice(space + 1)];
      }
      return invalidComponent(source, `BPE merges[${i}] must be [left, right] or "left right"`);
    });
    // `dropout` is ignored: it is a training-time augmentation, and encoding here is deterministic.
    const str = (v: unknown): string => (typeof v === 'string' ? v : '');
    return new BpeModel(
      vocab,
      merges,
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

  /** Appends the ids of one pre-tokenized piece. */
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

  private encodeWord(piece: string): number[] {
    const { options, vocab } = this;
    if (options.ignoreMerges) {
      const whole = vocab.get(piece);
      if (whole !== undefined) return [whole];
    }
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
    return this.mergeAll(symbols);
  }

  /** Applies merges in rank order over a doubly linked list of symbols. */
  private mergeAll(ids: number[]): number[] {
    const n = ids.length;
    if (n < 2) return ids;
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
      const m = this.merges.get(ids[pos]! * ID_SPAN + ids[right]!);
      if (m === undefined) return;
      heapPush(heap, Math.floor(m / ID_SPAN) * POS_SPAN + pos);
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
      const m = this.merges.get(ids[pos]! * ID_SPAN + ids[right]!);
      // Stale: the pair at `pos` changed since this entry was queued.
      if (m === undefined || Math.floor(m / ID_SPAN) !== rank) continue;
      ids[pos] = m - rank * ID_SPAN;
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
