/** Bad input gives a TokenizerError with a clear message: never a crash, a hang or a silent result. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedFile } from '@flan-ts/test-support';
import { Tokenizer, TokenizerError } from '../src/index';
import { loadTokenizer } from '../src/node';

const modelPath = sharedFile('fixtures/tokenizers/t5_spiece.model');
const jsonPath = sharedFile('fixtures/tokenizers/legal_t5_tokenizer.json');

function expectError(fn: () => unknown, code: TokenizerError['code'], message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(TokenizerError);
  expect((caught as TokenizerError).code).toBe(code);
  expect((caught as TokenizerError).message).toMatch(message);
}

describe.skipIf(!modelPath)('model files', () => {
  const bytes = new Uint8Array(readFileSync(modelPath!));

  it('rejects a missing file and a directory without a tokenizer', async () => {
    await expect(loadTokenizer('/nonexistent/spiece.model')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: /nonexistent\/spiece\.model/,
    });
    await expect(loadTokenizer(mkdtempSync(join(tmpdir(), 'flan-tok-')))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: /no spiece\.model/,
    });
  });

  it('reports a failed fetch as NOT_FOUND, naming the URL', async () => {
    const notFound = (async () => new Response('no', { status: 404 })) as typeof fetch;
    await expect(
      Tokenizer.fromUrl('https://models.test/spiece.model', { fetch: notFound }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: /https:\/\/models\.test\/spiece\.model: HTTP 404/,
    });
    const offline = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    await expect(Tokenizer.fromUrl('https://models.test/x.model', { fetch: offline })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: /fetch failed/,
    });
    const ok = (async () => new Response(bytes)) as typeof fetch;
    const tokenizer = await Tokenizer.fromUrl('https://models.test/spiece.model', { fetch: ok });
    expect(Array.from(tokenizer.encode('Hello world').ids)).toEqual([8774, 296, 1]);
  });

  it('rejects an empty file', () => {
    expectError(
      () => Tokenizer.fromBytes(new Uint8Array(0), { source: 'empty.model' }),
      'INVALID_MODEL',
      /empty\.model is empty/,
    );
  });

  it('rejects every truncation of a model (sampled) without hanging', () => {
    for (const length of [1, 2, 7, 100, 5_000, 200_000, bytes.length - 500_000, bytes.length - 1]) {
      expectError(
        () => Tokenizer.fromBytes(bytes.subarray(0, length), { source: 't.model' }),
        'INVALID_MODEL',
        /t\.model|charsmap|piece|SentencePiece/,
      );
    }
  });

  it('rejects corrupt bytes', () => {
    const random = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251);
    expectError(() => Tokenizer.fromBytes(random), 'INVALID_MODEL', /not a valid SentencePiece model/);
    const flipped = bytes.slice();
    flipped[3] = 0xff; // inside the first piece's length prefix
    expectError(() => Tokenizer.fromBytes(flipped), 'INVALID_MODEL', /not a valid SentencePiece model/);
  });

  it('rejects invalid text and ids', () => {
    const tokenizer = Tokenizer.fromBytes(bytes);
    expectError(
      () => tokenizer.encode(42 as unknown as string),
      'INVALID_INPUT',
      /must be a string, got number/,
    );
    expectError(() => tokenizer.encode(null as unknown as string), 'INVALID_INPUT', /got null/);
    expectError(
      () => tokenizer.encode('ok \ud800 no'),
      'INVALID_INPUT',
      /lone surrogate U\+D800 at UTF-16 index 3/,
    );
    expectError(() => tokenizer.sentencePiece.encode('\udc00'), 'INVALID_INPUT', /lone surrogate U\+DC00/);
    expectError(
      () => tokenizer.encodeBatch(['fine', 7 as unknown as string]),
      'INVALID_INPUT',
      /texts\[1\] must be a string/,
    );
    expectError(
      () => tokenizer.decode([5, 32100]),
      'INVALID_INPUT',
      /id 32100 at position 1 is out of range/,
    );
    expectError(() => tokenizer.decode([1.5]), 'INVALID_INPUT', /id 1.5/);
    expectError(() => tokenizer.sentencePiece.decode([-1]), 'INVALID_INPUT', /id -1 is out of range/);
    expectError(() => tokenizer.encode('x', { truncation: true }), 'INVALID_INPUT', /needs maxLength/);
    // A well-formed surrogate pair is fine.
    expect(Array.from(tokenizer.encode('😀').ids)).toEqual([3, 2, 1]);
  });
});

describe.skipIf(!jsonPath)('tokenizer.json', () => {
  const json = JSON.parse(readFileSync(jsonPath!, 'utf8')) as Record<string, unknown>;

  it('rejects an unsupported model type', () => {
    const bpe = { ...json, model: { type: 'BPE', vocab: {}, merges: [] } };
    expectError(() => Tokenizer.fromJson(bpe), 'UNSUPPORTED_MODEL', /model type "BPE" is not supported/);
  });

  it('rejects unsupported pipeline steps and malformed vocabularies', () => {
    expectError(
      () => Tokenizer.fromJson({ ...json, normalizer: { type: 'Lowercase' } }),
      'UNSUPPORTED_MODEL',
      /normalizer "Lowercase"/,
    );
    expectError(
      () => Tokenizer.fromJson({ ...json, model: { type: 'Unigram', unk_id: 0, vocab: [['a']] } }),
      'INVALID_MODEL',
      /model\.vocab\[0\]/,
    );
    expectError(() => Tokenizer.fromJson('{"model": '), 'INVALID_MODEL', /not valid JSON/);
  });

  it('reports the file when loading from disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flan-tok-'));
    const path = join(dir, 'tokenizer.json');
    writeFileSync(path, JSON.stringify({ model: { type: 'WordPiece' } }));
    await expect(loadTokenizer(path)).rejects.toMatchObject({
      code: 'UNSUPPORTED_MODEL',
      message: new RegExp(path),
    });
  });
});
