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

// ▁ (U+2581) is E2 96 81 in UTF-8; U+FFFD replaces malformed input bytes.
const REPLACEMENT_BYTES = Uint8Array.from([0xef, 0xbf, 0xbd]);

export class Normalizer {
  private readonly charsmap: PrecompiledCharsmap | undefined;
  private readonly escape: boolean;
  private out = new Uint8Array(1024);
  private readonly match = new Int32Array(2);

  constructor(
    private readonly spec: NormalizerSpec,
    /** User-defined symbols: matched before the charsmap and never rewritten. */
    private readonly userDefined: PieceTrie | undefined,
    private readonly treatWhitespaceAsSuffix = false,
  ) {
    this.charsmap =
      spec.precompiledCharsmap.length > 0 ? new PrecompiledCharsmap(spec.precompiledCharsmap) : undefined;
    this.escape = spec.escapeWhitespaces;
  }

  /**
   * Normalizes `input[0..end)`. Returns the normalized bytes: a view into an internal buffer that the
   * next call overwrites.
   */
  normalize(input: Uint8Array, end: number): Uint8Array {
    const removeExtra = this.spec.removeExtraWhitespaces;
    const charsmap = this.charsmap;
    const userDefined = this.userDefined;
    const match = this.match;
    const escape = this.escape;
    // Output never exceeds 3 bytes per output byte of a rule; grow before each step, not per byte.
    let out = this.out;
    let length = 0;
    let pos = 0;
    let src: Uint8Array = input;
    let sBegin = 0;
    let sEnd = 0;
    let isPrevSpace = removeExtra;
    let started = false;

    while (pos < end) {
      // One step of `NormalizePrefix`: the rewrite of the longest rule at `pos`.
      let consumed = 0;
      if (userDefined !== undefined) {
        consumed = userDefined.longestPrefix(input, pos, end);
        if (consumed > 0) {
          src = input;
          sBegin = pos;
          sEnd = pos + consumed;
        }
      }
      if (consumed === 0 && charsmap !== undefined) {
        consumed = charsmap.longestMatch(input, pos, end, match);
        if (consumed > 0) {
          src = charsmap.replacementBytes;
          sBegin = match[0]!;
          sEnd = match[1]!;
        }
      }
      if (consumed === 0) {
        consumed = validCharLen(input, pos, end);
        if (consumed === 0) {
          src = REPLACEMENT_BYTES;
          sBegin = 0;
          sEnd = 3;
          consumed = 1;
        } else {
          src = input;
          sBegin = pos;
          sEnd = pos + consumed;
        }
      }
      pos += consumed;

      if (!started) {
        // Leading whitespace is dropped; then the dummy prefix opens the text.
        if (removeExtra && sEnd - sBegin === 1 && src[sBegin] === 0x20) continue;
        started = true;
        if (!this.treatWhitespaceAsSuffix && this.spec.addDummyPrefix) {
          if (escape) {
            out[length++] = 0xe2;
            out[length++] = 0x96;
            out[length++] = 0x81;
          } else out[length++] = 0x20;
        }
      }

      let b = sBegin;
      if (isPrevSpace) while (b < sEnd && src[b] === 0x20) b++;
      if (b < sEnd) {
        const need = length + (sEnd - b) * 3 + 8;
        if (need > out.length) {
          const grown = new Uint8Array(Math.max(need, out.length * 2));
          grown.set(out.subarray(0, length));
          out = this.out = grown;
        }
        for (let i = b; i < sEnd; i++) {
          const c = src[i]!;
          if (c === 0x20 && escape) {
            out[length++] = 0xe2;
            out[length++] = 0x96;
            out[length++] = 0x81;
          } else out[length++] = c;
        }
        isPrevSpace = src[sEnd - 1] === 0x20;
      }
      if (!removeExtra) isPrevSpace = false;
    }
    if (!started) return out.subarray(0, 0);

    if (removeExtra) {
      if (escape) {
        while (
          length >= 3 &&
          out[length - 3] === 0xe2 &&
          out[length - 2] === 0x96 &&
          out[length - 1] === 0x81
        )
          length -= 3;
      } else {
        while (length >= 1 && out[length - 1] === 0x20) length -= 1;
      }
    }
    if (this.treatWhitespaceAsSuffix && this.spec.addDummyPrefix) {
      if (length + 3 > out.length) {
        const grown = new Uint8Array(out.length * 2 + 3);
        grown.set(out.subarray(0, length));
        out = this.out = grown;
      }
      if (escape) {
        out[length++] = 0xe2;
        out[length++] = 0x96;
        out[length++] = 0x81;
      } else out[length++] = 0x20;
    }
    return out.subarray(0, length);
  }
}
