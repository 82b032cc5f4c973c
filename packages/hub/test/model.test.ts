import { cpSync, createReadStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@flan-ts/models';
import { runExample, sharedFile } from '@flan-ts/test-support';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPretrainedModel as loadFromUrl } from '../src/index';
import { loadPretrainedModel } from '../src/node';

const llama = sharedFile('fixtures/models/llama-tiny');
const t5 = sharedFile('fixtures/models/flan-t5-tiny');
const qwenTokenizer = sharedFile('fixtures/tokenizers/qwen3/tokenizer.json');

describe.skipIf(!llama || !t5)('loadPretrainedModel', () => {
  beforeAll(() => initBackend('cpu'));

  it('picks the architecture from config.json: T5 with its tokenizer, llama-tiny without one', async () => {
    const a = await loadPretrainedModel(t5!);
    expect(a.architecture).toBe('t5');
    expect(a.tokenizer).toBeDefined();
    a.dispose();
    const b = await loadPretrainedModel(llama!);
    expect(b.architecture).toBe('causal');
    if (b.architecture === 'causal') expect(b.model.config.numLayers).toBe(2);
    expect(b.tokenizer).toBeUndefined();
    expect(b.tokenizerProblem).toMatch(/llama-tiny has no tokenizer \(tokenizer\.json\)/);
    expect(b.generationConfig).toEqual({ bos_token_id: null, eos_token_id: 2, pad_token_id: 0 });
    b.dispose();
  });

  it.skipIf(!qwenTokenizer)(
    'a decoder-only directory with tokenizer.json gets its BPE tokenizer',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hub-causal-'));
      try {
        cpSync(llama!, dir, { recursive: true });
        cpSync(join(qwenTokenizer!, '..'), dir, { recursive: true });
        const loaded = await loadPretrainedModel(dir);
        expect(loaded.architecture).toBe('causal');
        expect(loaded.tokenizer!.decode(loaded.tokenizer!.encode('Hello world').ids)).toBe('Hello world');
        loaded.dispose();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  describe('over HTTP (the browser entry)', () => {
    const server = createServer((req, res) => {
      const path = join(llama!, decodeURIComponent(new URL(req.url!, 'http://x').pathname));
      if (!existsSync(path)) {
        res.statusCode = 404;
        res.end();
        return;
      }
      createReadStream(path).pipe(res);
    });
    let base: string;
    beforeAll(async () => {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('a directory URL of llama-tiny gives the same weights as the directory', async () => {
      const [remote, local] = await Promise.all([loadFromUrl(base), loadPretrainedModel(llama!)]);
      expect(remote.architecture).toBe('causal');
      const name = 'model.layers.1.self_attn.k_proj.weight';
      expect([...remote.model.parameters().get(name)!.dataSync()]).toEqual([
        ...local.model.parameters().get(name)!.dataSync(),
      ]);
      remote.dispose();
      local.dispose();
    });
  });
});

const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Any architecture'));
describe.skipIf(!llama)('README loadPretrainedModel example', () => {
  it('loads llama-tiny as a causal model and frees it', async () => {
    const example = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const calls = await runExample(example, {
      '@flan-ts/hub/node': 'packages/hub/src/node.ts',
      '@flan-ts/models': 'packages/models/src/index.ts',
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]![0]).toBe(2);
    expect(calls[0]![1]).toMatch(/has no tokenizer/);
    expect(tf.memory().numTensors).toBe(0);
  });
});
