/**
 * Parity with the official C++ SentencePiece: every line of the reference JSONL files gives the same
 * ids, pieces and decoded text; and the legal-T5 tokenizer.json gives the same ids as its .model.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedFile, sharedFiles } from '@flan-ts/test-support';
import { SentencePieceProcessor, Tokenizer } from '../src/index';
import { loadTokenizer } from '../src/node';

interface ReferenceLine {
  text: string;
  ids: number[];
  pieces: string[];
  decoded: string;
}

function readReference(path: string): ReferenceLine[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ReferenceLine);
}

for (const [model, reference] of [
  ['t5_spiece.model', 't5_spiece.visible.jsonl'],
  ['spm_example.model', 'spm_example.visible.jsonl'],
] as const) {
  const paths = sharedFiles(`fixtures/tokenizers/${model}`, `fixtures/tokenizers/${reference}`);
  describe.skipIf(!paths)(`${model} against ${reference}`, () => {
    const [modelPath, referencePath] = paths!;
    const sp = SentencePieceProcessor.fromBytes(readFileSync(modelPath));
    const lines = readReference(referencePath);

    it('has the full reference (2,582 lines)', () => {
      expect(lines).toHaveLength(2582);
    });

    it('gives the reference ids, pieces and decoded text on every line', () => {
      const mismatches: string[] = [];
      lines.forEach((line, i) => {
        const { ids, pieces } = sp.encode(line.text);
        const decoded = sp.decode(ids);
        if (
          JSON.stringify([ids, pieces, decoded]) !== JSON.stringify([line.ids, line.pieces, line.decoded])
        ) {
          mismatches.push(`line ${i + 1}: ${JSON.stringify(line.text).slice(0, 80)}`);
        }
      });
      expect(mismatches).toEqual([]);
    });

    it('gives the same ids and pieces through the T5 tokenizer without special tokens', () => {
      const tokenizer = new Tokenizer(sp);
      const mismatches = lines.filter((line) => {
        const e = tokenizer.encode(line.text, { addSpecialTokens: false });
        return JSON.stringify([Array.from(e.ids), e.pieces]) !== JSON.stringify([line.ids, line.pieces]);
      });
      expect(mismatches.map((l) => l.text)).toEqual([]);
    });
  });
}

const legal = sharedFiles(
  'fixtures/tokenizers/legal_t5_spiece.model',
  'fixtures/tokenizers/legal_t5_tokenizer.json',
);
const texts = sharedFiles(
  'fixtures/tokenizers/t5_spiece.visible.jsonl',
  'fixtures/tokenizers/spm_example.visible.jsonl',
);
describe.skipIf(!legal || !texts)('legal_t5_tokenizer.json against legal_t5_spiece.model', () => {
  it('gives the same ids, with and without T5 special tokens, on every reference text', async () => {
    const fromModel = await loadTokenizer(legal![0]);
    const fromJson = await loadTokenizer(legal![1]);
    expect(fromJson.vocabSize).toBe(fromModel.vocabSize);
    const all = texts!.flatMap((path) => readReference(path).map((line) => line.text));
    expect(all.length).toBe(5164);
    let compared = 0;
    for (const text of [...all, 'a <extra_id_0> b </s>', '<extra_id_99>x<pad>']) {
      expect(Array.from(fromJson.encode(text).ids), text).toEqual(Array.from(fromModel.encode(text).ids));
      expect(fromJson.encode(text, { addSpecialTokens: false }).pieces).toEqual(
        fromModel.encode(text, { addSpecialTokens: false }).pieces,
      );
      compared++;
    }
    expect(compared).toBe(5166);
  });

  it('reads the special tokens and the eos template of tokenizer.json', async () => {
    const tokenizer = await loadTokenizer(legal![1]);
    expect(tokenizer.tokenToId('<extra_id_0>')).toBe(32099);
    expect(tokenizer.tokenToId('<extra_id_99>')).toBe(32000);
    expect(Array.from(tokenizer.encode('Hello').ids).at(-1)).toBe(1);
  });
});

const t5 = sharedFile('fixtures/tokenizers/t5_spiece.model');
describe.skipIf(!t5)('the README example', () => {
  it('tokenizes the T5 translation prompt as the C++ does, eos appended', () => {
    const tokenizer = Tokenizer.fromBytes(readFileSync(t5!));
    expect(Array.from(tokenizer.encode('Translate to German: That is good.').ids)).toEqual([
      30355, 15, 12, 2968, 10, 466, 19, 207, 5, 1,
    ]);
  });
});
