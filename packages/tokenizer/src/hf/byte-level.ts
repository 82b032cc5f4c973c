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

/** The byte-level form of a string: its UTF-8 bytes, each as its table character. */
export function toByteLevel(text: string): string {
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) >= 0x80) {
      ascii = false;
      break;
    }
  }
  let out = '';
  if (ascii) {
    for (let i = 0; i < text.length; i++) out += byteToChar[text.charCodeAt(i)]!;
    return out;
  }
  for (const b of encoder.encode(text)) out += byteToChar[b]!;
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
