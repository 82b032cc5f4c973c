/**
 * A BPE vocabulary (token → id, id → token) kept in the parsed `model.vocab` object itself. Copying
 * Qwen3's 150k entries into a `Map` took longer than the merge table; the JSON parser's keys are
 * already internalized, so looking them up in the object is as fast.
 */
import { invalidComponent } from './types';

export class Vocabulary {
  private readonly ids: Record<string, number>;
  /** Token string of each id (empty for ids the vocabulary does not use). */
  readonly tokens: string[];

  /**
   * Takes over `entries` (the parsed object): its prototype is set to null, so inherited names such as
   * `constructor` are not tokens. `source` names the file in errors.
   */
  constructor(entries: Record<string, unknown>, source: string) {
    Object.setPrototypeOf(entries, null);
    let maxId = -1;
    for (const token in entries) {
      const id = entries[token];
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= 2 ** 31 - 1)
        invalidComponent(source, `BPE vocab entry "${token}" has invalid id ${String(id)}`);
      if (id > maxId) maxId = id;
    }
    this.ids = entries as Record<string, number>;
    // Preallocated and filled in place: assigning ids out of order to an empty array would leave
    // V8 with a slow dictionary-mode array.
    this.tokens = new Array<string>(maxId + 1).fill('');
    for (const token in entries) this.tokens[entries[token] as number] = token;
  }

  /** The id of `token`, or undefined. */
  get(token: string): number | undefined {
    return this.ids[token];
  }
}
