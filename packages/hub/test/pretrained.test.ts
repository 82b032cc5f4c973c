import { createReadStream, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { initBackend } from '@flan-ts/models';
import { sharedFile } from '@flan-ts/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPretrained as loadFromUrl } from '../src/index';
import { loadPretrained } from '../src/node';

const dir = sharedFile('fixtures/models/flan-t5-tiny');

describe.skipIf(!dir)('loadPretrained', () => {
  beforeAll(() => initBackend('cpu'));

  it('a directory gives the model and its tokenizer, which agree on the vocabulary', async () => {
    const p = await loadPretrained(dir!);
    expect(p.model.config.dModel).toBe(64);
    expect(p.tokenizer).toBeDefined();
    expect(p.tokenizerProblem).toBeUndefined();
    const ids = p.tokenizer!.encode('Translate to German: That is good.').ids;
    expect(ids[ids.length - 1]).toBe(p.model.eosTokenId);
    expect(Math.max(...ids)).toBeLessThan(p.model.vocabSize);
    p.dispose();
  });

  describe('over HTTP (the browser entry)', () => {
    const server = createServer((req, res) => {
      const path = join(dir!, decodeURIComponent(new URL(req.url!, 'http://x').pathname));
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

    it('a directory URL gives the same model and tokenizer ids as the directory', async () => {
      const [remote, local] = await Promise.all([loadFromUrl(base), loadPretrained(dir!)]);
      const text = 'Q: What is 2+2?\nA:';
      expect(remote.tokenizer!.encode(text).ids).toEqual(local.tokenizer!.encode(text).ids);
      const name = 'encoder.block.0.layer.0.SelfAttention.q.weight';
      expect([...remote.model.parameters().get(name)!.dataSync()]).toEqual([
        ...local.model.parameters().get(name)!.dataSync(),
      ]);
      remote.dispose();
      local.dispose();
    });
  });
});
