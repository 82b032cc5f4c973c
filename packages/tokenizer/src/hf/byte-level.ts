/**
 * GPT-2's byte-to-unicode table: every byte gets a printable character (printable Latin-1 bytes map
 * to themselves, the rest to U+0100 onwards, so a space is `Ġ` and `\n` is `Ċ`), which lets a BPE
 * vocabulary of strings cover arbitrary bytes.
 */
const encoder = new TextEncoder();

function buildTables(): { byteToChar: string[]; charToByte: Map<number, number> } {
  const byteToChar: string[] = new Array<string>(256);
  const charToByte = new Map<number, number>();
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    const code = printable ? b : 256 + extra++;
    byteToChar[b] = String.fromCharCode(code);
    charToByte.set(code, b);
  }
  return { byteToChar, charToByte };
}

const { byteToChar, charToByte } = buildTables();

/**
 * The byte-level form of a string: its UTF-8 bytes, each as its table character. UTF-8 is encoded
 * by hand: `TextEncoder.encode` on many short pieces costs an allocation and a native call each,
 * which made this the slowest step of encoding.
 */
export function toByteLevel(text: string): string {
  let out = '';
  const n = text.length;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out += byteToChar[c]!;
    } else if (c < 0x800) {
      out += byteToChar[0xc0 | (c >> 6)]! + byteToChar[0x80 | (c & 0x3f)]!;
    } else if (c >= 0xd800 && c < 0xdc00 && i + 1 < n) {
      // A surrogate pair (callers reject lone surrogates before encoding).
      c = 0x10000 + ((c - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
      out +=
        byteToChar[0xf0 | (c >> 18)]! +
        byteToChar[0x80 | ((c >> 12) & 0x3f)]! +
        byteToChar[0x80 | ((c >> 6) & 0x3f)]! +
        byteToChar[0x80 | (c & 0x3f)]!;
    } else {
      out +=
        byteToChar[0xe0 | (c >> 12)]! +
        byteToChar[0x80 | ((c >> 6) & 0x3f)]! +
        byteToChar[0x80 | (c & 0x3f)]!;
    }
  }
  return out;
}

/**
 * Appends the bytes behind one byte-level token. A token with a character outside the table (an
 * added token's text, say) contributes its own UTF-8 bytes whole, as `tokenizers`' ByteLevel
 * decoder does.
 */
export function pushByteLevelToken(token: string, bytes: number[]): void {
  const start = bytes.length;
  for (let i = 0; i < token.length; i++) {
    const b = charToByte.get(token.charCodeAt(i));
    if (b === undefined) {
      bytes.length = start;
      for (const x of encoder.encode(token)) bytes.push(x);
      return;
    }
    bytes.push(b);
  }
}
