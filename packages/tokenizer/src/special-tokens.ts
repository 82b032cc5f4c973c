/**
 * Special tokens as Hugging Face's T5Tokenizer treats them: matched in the raw text before
 * SentencePiece runs, each becoming its own id; `lstrip`/`rstrip` swallow the whitespace beside them.
 */

/** One special (added) token. */
export interface SpecialToken {
  /** Its literal text, e.g. `</s>` or `<extra_id_0>`. */
  content: string;
  id: number;
  /** Remove whitespace on the left of the token when it is matched in text. */
  lstrip: boolean;
  /** Remove whitespace on the right of the token when it is matched in text. */
  rstrip: boolean;
}

/** A piece of text between special tokens, or a matched special token. */
export type Segment = { text: string } | { token: SpecialToken };

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class SpecialTokenSplitter {
  private readonly pattern: RegExp | undefined;
  private readonly byContent = new Map<string, SpecialToken>();
  /** First characters of the tokens: text without any of them needs no regex scan. */
  private readonly firstChars: string[];

  constructor(tokens: readonly SpecialToken[]) {
    for (const t of tokens) if (t.content !== '') this.byContent.set(t.content, t);
    // Longest alternatives first, so the leftmost match is also the longest one there.
    const contents = [...this.byContent.keys()].sort((a, b) => b.length - a.length);
    this.pattern = contents.length > 0 ? new RegExp(contents.map(escapeRegExp).join('|'), 'g') : undefined;
    this.firstChars = [...new Set(contents.map((c) => c[0]!))];
  }

  split(text: string): Segment[] {
    if (!this.pattern || this.firstChars.every((c) => !text.includes(c))) return [{ text }];
    const segments: Segment[] = [];
    let last = 0;
    let stripNext = false;
    for (const match of text.matchAll(this.pattern)) {
      const token = this.byContent.get(match[0])!;
      let before = text.slice(last, match.index);
      if (stripNext) before = before.trimStart();
      if (token.lstrip) before = before.trimEnd();
      if (before !== '') segments.push({ text: before });
      segments.push({ token });
      last = match.index + match[0].length;
      stripNext = token.rstrip;
    }
    let rest = text.slice(last);
    if (stripNext) rest = rest.trimStart();
    if (rest !== '') segments.push({ text: rest });
    return segments;
  }
}
