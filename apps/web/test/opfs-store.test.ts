/**
 * `OpfsCheckpointStore` (@flan-ts/train) in headless Chromium's real origin private file system:
 * checkpoints appear only once their manifest is written, read back byte for byte, replace one of
 * the same name, and a directory left by a write that died is neither listed nor readable.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bundleForBrowser,
  chromiumAvailable,
  launchHeadlessChromium,
  openBundlePage,
} from '@flan-ts/test-support/chromium';
import type { OpfsCheckpointStore } from '../../../packages/train/src/checkpoint/opfs-store';

const hasChromium = chromiumAvailable();

describe.skipIf(!hasChromium)('OpfsCheckpointStore in headless Chromium', () => {
  it('writes whole checkpoints, lists only complete ones, reads, replaces and removes them', async () => {
    const script = await bundleForBrowser(join(import.meta.dirname, 'opfs/entry.ts'));
    const browser = await launchHeadlessChromium();
    try {
      const { page, errors } = await openBundlePage(browser, script, () => undefined);
      const result = await page.evaluate(async () => {
        const Store = (globalThis as unknown as { OpfsCheckpointStore: typeof OpfsCheckpointStore })
          .OpfsCheckpointStore;
        const store = await Store.open('runs/test-run');
        const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * seed) % 251);
        await store.write(
          'checkpoint-10',
          new Map([
            ['model.safetensors', bytes(100_000, 7)],
            ['trainer_state.json', new TextEncoder().encode('{"step":10}')],
            ['tokenizer/spiece.model', bytes(33, 3)],
          ]),
        );
        await store.write(
          'checkpoint-9',
          new Map([['trainer_state.json', new TextEncoder().encode('{"step":9}')]]),
        );
        // A write that died: files, no manifest.
        const dead = await store.root.getDirectoryHandle('checkpoint-11', { create: true });
        const w = await (await dead.getFileHandle('trainer_state.json', { create: true })).createWritable();
        await w.write('{"step":11}');
        await w.close();
        const listed = await store.list();
        const read = await store.read('checkpoint-10');
        const model = read.get('model.safetensors')!;
        const modelMatches = model.length === 100_000 && model.every((v, i) => v === (i * 7) % 251);
        let deadError = '';
        try {
          await store.read('checkpoint-11');
        } catch (e) {
          deadError = (e as Error).message;
        }
        // Rewriting a name replaces the old files (none of them survive).
        await store.write(
          'checkpoint-10',
          new Map([['trainer_state.json', new TextEncoder().encode('{"step":10,"again":true}')]]),
        );
        const rewritten = [...(await store.read('checkpoint-10')).keys()];
        const rewrittenText = new TextDecoder().decode(
          (await store.read('checkpoint-10')).get('trainer_state.json'),
        );
        // The dead directory is replaced by a complete write of its name.
        await store.write('checkpoint-11', new Map([['a.bin', bytes(5, 1)]]));
        const afterDead = await store.list();
        await store.remove('checkpoint-9');
        await store.remove('checkpoint-404');
        const afterRemove = await store.list();
        // A second store on the same directory (a reloaded page) sees the same checkpoints.
        const again = await (await Store.open('runs/test-run')).list();
        let reserved = '';
        try {
          await store.write('checkpoint-12', new Map([['checkpoint-complete.json', bytes(1, 1)]]));
        } catch (e) {
          reserved = (e as Error).message;
        }
        return {
          listed,
          readKeys: [...read.keys()],
          spiece: Array.from(read.get('tokenizer/spiece.model')!.slice(0, 4)),
          modelMatches,
          deadError,
          rewritten,
          rewrittenText,
          afterDead,
          afterRemove,
          again,
          reserved,
          describe: store.describe('checkpoint-10'),
        };
      });
      expect(errors).toEqual([]);
      expect(result.listed).toEqual(['checkpoint-9', 'checkpoint-10']);
      expect(result.readKeys).toEqual(['model.safetensors', 'trainer_state.json', 'tokenizer/spiece.model']);
      expect(result.spiece).toEqual([0, 3, 6, 9]);
      expect(result.modelMatches).toBe(true);
      expect(result.deadError).toBe('no complete checkpoint "checkpoint-11"');
      expect(result.rewritten).toEqual(['trainer_state.json']);
      expect(result.rewrittenText).toBe('{"step":10,"again":true}');
      expect(result.afterDead).toEqual(['checkpoint-9', 'checkpoint-10', 'checkpoint-11']);
      expect(result.afterRemove).toEqual(['checkpoint-10', 'checkpoint-11']);
      expect(result.again).toEqual(['checkpoint-10', 'checkpoint-11']);
      expect(result.reserved).toBe('checkpoint-complete.json is reserved for the manifest');
      expect(result.describe).toBe('opfs:/runs/test-run/checkpoint-10');
    } finally {
      await browser.close();
    }
  });
});
