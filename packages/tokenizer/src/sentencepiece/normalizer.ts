/**
 * SentencePiece's normalizer (normalizer.cc): longest-match rewriting with the precompiled charsmap
 * (e.g. `nmt_nfkc`), user-defined symbols kept verbatim, whitespace collapsing, the `▁` dummy prefix
 * and the escaping of spaces as `▁`. Works on UTF-8 bytes, as the C++ does, so every rule and length
 * matches byte for byte.
 */
import { PrecompiledCharsmap } from './charsmap';
import type { NormalizerSpec } from './model-proto';
import type { PieceTrie } from './piece-trie';
import { validCharLen } from './utf8';

const SPACE_SYMBOL = [0xe2, 0x96, 0x81]; // U+2581 ▁
const REPLACEMENT_CHAR = [0xef, 0xbf, 0xbd]; // U+FFFD

export class Normalizer {
  private readonly charsmap: PrecompiledCharsmap | undefined;
  private out = new Uint8Array(256);
  private length = 0;
  private readonly match = new Int32Array(2);

  constructor(
    private readonly spec: NormalizerSpec,
    /** User-defined symbols: matched before the charsmap and never rewritten. */
    private readonly userDefined: PieceTrie | undefined,
    private readonly treatWhitespaceAsSuffix = false,
  ) {
    this.charsmap =
      spec.precompiledCharsmap.length > 0 ? new PrecompiledCharsmap(spec.precompiledCharsmap) : undefined;
  }

  private push(byte: number): void {
    if (this.length === this.out.length) {
      const grown = new Uint8Array(this.out.length * 2);
      grown.set(this.out);
      this.out = grown;
    }
    this.out[this.length++] = byte;
  }

  private pushSpace(): void {
    if (this.spec.escapeWhitespaces) for (const b of SPACE_SYMBOL) this.push(b);
    else this.push(0x20);
  }

  /**
   * Normalizes `input[0..end)`. Returns the normalized bytes (a view into an internal buffer that the
   * next call overwrites).
   */
  normalize(input: Uint8Array, end: number): Uint8Array {
    this.length = 0;
    const removeExtra = this.spec.removeExtraWhitespaces;
    let pos = 0;
    // The prefix rewrite of one step: [srcBytes, begin, end) and how many input bytes it consumed.
    let src: Uint8Array = input;
    let sBegin = 0;
    let sEnd = 0;
    const step = (): number => {
      if (this.userDefined) {
        const len = this.userDefined.longestPrefix(input, pos, end);
        if (len > 0) {
          src = input;
          sBegin = pos;
          sEnd = pos + len;
          return len;
        }
      }
      if (this.charsmap) {
        const len = this.charsmap.longestMatch(input, pos, end, this.match);
        if (len > 0) {
          src = this.charsmap.replacementBytes;
          sBegin = this.match[0]!;
          sEnd = this.match[1]!;
          return len;
        }
      }
      const len = validCharLen(input, pos, end);
      if (len === 0) {
        src = REPLACEMENT_BYTES;
        sBegin = 0;
        sEnd = 3;
        return 1;
      }
      src = input;
      sBegin = pos;
      sEnd = pos + len;
      return len;
    };

    if (removeExtra) {
      while (pos < end) {
        const consumed = step();
        if (!(sEnd - sBegin === 1 && src[sBegin] === 0x20)) break;
        pos += consumed;
      }
    }
    if (pos >= end) return this.out.subarray(0, 0);
    if (!this.treatWhitespaceAsSuffix && this.spec.addDummyPrefix) this.pushSpace();

    let isPrevSpace = removeExtra;
    while (pos < end) {
      const consumed = step();
      let b = sBegin;
      if (isPrevSpace) while (b < sEnd && src[b] === 0x20) b++;
      if (b < sEnd) {
        for (let i = b; i < sEnd; i++) {
          const c = src[i]!;
          if (c === 0x20 && this.spec.escapeWhitespaces) for (const s of SPACE_SYMBOL) this.push(s);
          else this.push(c);
        }
        isPrevSpace = src[sEnd - 1] === 0x20;
      }
      pos += consumed;
      if (!removeExtra) isPrevSpace = false;
    }

    if (removeExtra) {
      const space = this.spec.escapeWhitespaces ? SPACE_SYMBOL : [0x20];
      const n = space.length;
      while (this.length >= n && space.every((s, i) => this.out[this.length - n + i] === s)) this.length -= n;
    }
    if (this.treatWhitespaceAsSuffix && this.spec.addDummyPrefix) this.pushSpace();
    return this.out.subarray(0, this.length);
  }
}

const REPLACEMENT_BYTES = Uint8Array.from(REPLACEMENT_CHAR);
