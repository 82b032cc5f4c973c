/** UTF-8 helpers with SentencePiece's exact rules (string_util.h). */

/** Length of the UTF-8 sequence a lead byte announces, as `OneCharLen` computes it from the high nibble. */
export function oneCharLen(lead: number): number {
  return lead < 0xc0 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
}

/**
 * Length of the valid UTF-8 character at `bytes[pos]`, or 0 when it is malformed (SentencePiece's
 * `IsValidDecodeUTF8`: overlong forms, surrogates and values above U+10FFFF are malformed).
 */
export function validCharLen(bytes: Uint8Array, pos: number, end: number): number {
  const b0 = bytes[pos]!;
  if (b0 < 0x80) return 1;
  const cont = (i: number): number => {
    const b = pos + i < end ? bytes[pos + i]! : 0;
    return (b & 0xc0) === 0x80 ? b & 0x3f : -1;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) >= 0 ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const c1 = cont(1);
    const c2 = cont(2);
    if (c1 < 0 || c2 < 0) return 0;
    const cp = ((b0 & 0x0f) << 12) | (c1 << 6) | c2;
    return cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const c1 = cont(1);
    const c2 = cont(2);
    const c3 = cont(3);
    if (c1 < 0 || c2 < 0 || c3 < 0) return 0;
    const cp = ((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3;
    return cp >= 0x10000 && cp <= 0x10ffff ? 4 : 0;
  }
  return 0;
}
