/**
 * The surface text of unknown pieces, kept as UTF-8 bytes and decoded only when piece strings are
 * asked for: scripts a vocabulary lacks (Telugu, Bengali, Thai in T5) are mostly unknown pieces, and
 * decoding each one to a string would cost more than encoding the text.
 */
const decoder = new TextDecoder();

export class UnknownSurfaces {
  private pool = new Uint8Array(64);
  private poolLength = 0;
  /** Triples: index in the id sequence, begin and end in the pool. */
  private readonly spans: number[] = [];

  /** Records bytes for the unknown id at `index`; `extend` appends to the previous unknown piece. */
  add(index: number, bytes: Uint8Array, begin: number, end: number, extend: boolean): void {
    const length = end - begin;
    if (this.poolLength + length > this.pool.length) {
      const grown = new Uint8Array(Math.max(this.pool.length * 2, this.poolLength + length));
      grown.set(this.pool.subarray(0, this.poolLength));
      this.pool = grown;
    }
    this.pool.set(bytes.subarray(begin, end), this.poolLength);
    const spans = this.spans;
    if (extend && spans.length > 0) spans[spans.length - 1] = this.poolLength + length;
    else spans.push(index, this.poolLength, this.poolLength + length);
    this.poolLength += length;
  }

  /** Surface of each recorded unknown piece, by its index in the id sequence. */
  decode(): Map<number, string> {
    const out = new Map<number, string>();
    for (let k = 0; k < this.spans.length; k += 3) {
      out.set(this.spans[k]!, decoder.decode(this.pool.subarray(this.spans[k + 1]!, this.spans[k + 2]!)));
    }
    return out;
  }
}
