/**
 * Differential tests against sentencepiece-js (the official C++ compiled to WASM): the TypeScript
 * encoder must give the same ids, pieces and decoded text on real multilingual text and on random
 * Unicode, for all three SentencePiece models.
 *
 * By default every 8th distinct text of ../shared/data is compared (~3 MB per model) to keep the run
 * short; FLAN_FULL_DIFFERENTIAL=1 compares all of it (~25 MB per model, several minutes).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SentencePieceProcessor as WasmProcessor } from '@sctg/sentencepiece-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { seededUniform, sharedFile, sharedFiles } from '@flan-ts/test-support';
import { SentencePieceProcessor } from '../src/index';
import { randomUnicodeTexts, sharedDataTexts } from './support/corpus';

const full = process.env.FLAN_FULL_DIFFERENTIAL === '1';
const DATA_TIMEOUT_MS = (full ? 60 : 8) * 60_000;
const dataDir = sharedFile('data');
const models = sharedFiles(
  'fixtures/tokenizers/t5_spiece.model',
  'fixtures/tokenizers/legal_t5_spiece.model',
  'fixtures/tokenizers/spm_example.model',
);

describe.skipIf(!dataDir || !models)('TypeScript encoder vs sentencepiece-js (WASM build of the C++)', () => {
  let dataTexts: string[] = [];
  beforeAll(() => {
    const unique = [...new Set(sharedDataTexts(dataDir!))];
    dataTexts = full ? unique : unique.filter((_, i) => i % 8 === 0);
  });

  it('has the shared data texts to compare (MGSM, BBH, MMLU, TyDiQA, Flan CoT)', () => {
    expect(dataTexts.length).toBeGreaterThan(full ? 150_000 : 20_000);
    for (const dir of ['mgsm', 'bbh', 'mmlu', 'tydiqa', 'flan'])
      expect(sharedFile(join('data', dir))).toBeDefined();
  });

  for (const modelPath of models ?? []) {
    const name = modelPath.split('/').pop()!;
    describe(name, () => {
      let ours: SentencePieceProcessor;
      let wasm: WasmProcessor;
      beforeAll(async () => {
        const bytes = readFileSync(modelPath);
        ours = SentencePieceProcessor.fromBytes(bytes);
        wasm = new WasmProcessor();
        await wasm.loadFromB64StringModel(bytes.toString('base64'));
      });

      const compare = (texts: string[]): string[] => {
        const mismatches: string[] = [];
        for (const text of texts) {
          const { ids, pieces } = ours.encode(text);
          const wasmIds = wasm.encodeIds(text);
          const wasmPieces = wasm.encodePieces(text);
          if (ids.join() !== wasmIds.join() || JSON.stringify(pieces) !== JSON.stringify(wasmPieces)) {
            mismatches.push(`encode ${JSON.stringify(text).slice(0, 100)}`);
          } else if (ours.decode(ids) !== wasm.decodeIds(Int32Array.from(wasmIds))) {
            mismatches.push(`decode ${JSON.stringify(text).slice(0, 100)}`);
          }
          if (mismatches.length >= 10) break;
        }
        return mismatches;
      };

      // Minutes on a loaded 2-core machine (the full set much longer): give it room.
      it(
        'agrees on the shared data texts',
        () => {
          expect(compare(dataTexts)).toEqual([]);
        },
        DATA_TIMEOUT_MS,
      );

      it('agrees on 3,000 seeded random Unicode strings', () => {
        expect(compare(randomUnicodeTexts(20241125, 3000))).toEqual([]);
      });

      it('decodes random id sequences (controls, unk, pieces mixed) as the C++ does', () => {
        const random = seededUniform(7);
        const mismatches: string[] = [];
        for (let k = 0; k < 2000; k++) {
          const length = Math.floor(random() * 12);
          // Low ids are the control/unk pieces; bias towards them so their decoding rules are exercised.
          const ids = Array.from({ length }, () =>
            random() < 0.3 ? Math.floor(random() * 4) : Math.floor(random() * ours.size),
          );
          const expected = wasm.decodeIds(Int32Array.from(ids));
          if (ours.decode(ids) !== expected) mismatches.push(JSON.stringify(ids));
        }
        expect(mismatches.slice(0, 10)).toEqual([]);
      });
    });
  }
});
