/**
 * The `precompiled_charsmap` of a NormalizerSpec: a little-endian uint32 trie size, a darts-clone
 * double-array trie over UTF-8 bytes, then the NUL-terminated replacement strings its values point to.
 */
import { TokenizerError } from '../errors';

export class PrecompiledCharsmap {
  private readonly units: Uint32Array;
  private readonly replacements: Uint8Array;

  constructor(input: Uint8Array) {
    const blob = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    const fail = (detail: string): never => {
      throw new TokenizerError('INVALID_MODEL', `invalid precompiled_charsmap: ${detail}`);
    };
    if (blob.length < 4) fail('shorter than its 4-byte header');
    const trieSize = new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getUint32(0, true);
    if (trieSize >= blob.length || trieSize % 4 !== 0)
      fail(`trie size ${trieSize} does not fit a blob of ${blob.length} bytes`);
    // Copy so the units are 4-byte aligned whatever the source buffer's alignment.
    const trie = blob.slice(4, 4 + trieSize);
    this.units = new Uint32Array(trie.buffer, 0, trieSize / 4);
    this.replacements = blob.slice(4 + trieSize);
    if (this.units.length === 0) fail('empty trie');
  }

  /**
   * Longest rule matching a prefix of `input[start..end)`: writes the replacement's [begin, end) into
   * `out` and returns the matched length in bytes, or 0 when no rule applies.
   */
  longestMatch(input: Uint8Array, start: number, end: number, out: Int32Array): number {
    const units = this.units;
    let unit = units[0]!;
    let nodePos = (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
    let longest = 0;
    let value = 0;
    for (let i = start; i < end; i++) {
      const c = input[i]!;
      nodePos ^= c;
      const next = units[nodePos];
      if (next === undefined || (next & 0x800000ff) !== c) break;
      unit = next;
      nodePos ^= (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
      if ((unit >>> 8) & 1) {
        longest = i + 1 - start;
        value = units[nodePos]! & 0x7fffffff;
      }
    }
    if (longest === 0) return 0;
    const replacements = this.replacements;
    if (value >= replacements.length) {
      throw new TokenizerError(
        'INVALID_MODEL',
        `invalid precompiled_charsmap: replacement offset ${value} out of range`,
      );
    }
    let stop = value;
    while (stop < replacements.length && replacements[stop] !== 0) stop++;
    out[0] = value;
    out[1] = stop;
    return longest;
  }

  /** The replacement bytes addressed by {@link longestMatch}. */
  get replacementBytes(): Uint8Array {
    return this.replacements;
  }
}
