/**
 * The main entry works in a browser: it bundles for `platform: 'browser'` (any `node:` import would
 * fail the build), loads a model with `Tokenizer.fromUrl` inside headless Chromium, and encodes
 * reference lines to the reference ids.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedFiles } from '@flan-ts/test-support';
import {
  bundleForBrowser,
  chromiumAvailable,
  launchHeadlessChromium,
  openBundlePage,
} from '@flan-ts/test-support/chromium';
import type * as TokenizerModule from '../src/index';

const paths = sharedFiles(
  'fixtures/tokenizers/t5_spiece.model',
  'fixtures/tokenizers/t5_spiece.visible.jsonl',
);
const hasChromium = chromiumAvailable();

interface ReferenceLine {
  text: string;
  ids: number[];
}

describe.skipIf(!paths || !hasChromium)('@flan-ts/tokenizer in headless Chromium', () => {
  it('bundles the main entry for the browser and encodes reference lines to the reference ids', async () => {
    const [modelPath, referencePath] = paths!;
    const script = await bundleForBrowser(join(import.meta.dirname, 'browser/entry.ts'));
    expect(script).not.toMatch(/require\(["']node:/);

    const all = readFileSync(referencePath, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as ReferenceLine);
    // The hand-made edge cases (first 82 visible lines) plus a spread of MGSM and Flan lines.
    const lines = [...all.slice(0, 82), ...all.filter((_, i) => i >= 82 && i % 50 === 0)];

    const browser = await launchHeadlessChromium();
    try {
      const { page, errors } = await openBundlePage(browser, script, (path) =>
        path === '/spiece.model' ? modelPath : undefined,
      );
      const result = await page.evaluate(
        async (texts) => {
          const { Tokenizer } = (window as unknown as { flanTokenizer: typeof TokenizerModule })
            .flanTokenizer;
          const tokenizer = await Tokenizer.fromUrl('/spiece.model');
          return {
            plain: texts.map((t) => Array.from(tokenizer.sentencePiece.encode(t).ids)),
            t5: Array.from(tokenizer.encode('The <extra_id_0> walks in <extra_id_1> park').ids),
            decoded: tokenizer.decode([8774, 296, 1], { skipSpecialTokens: true }),
            hasProcess: typeof (globalThis as { process?: unknown }).process !== 'undefined',
          };
        },
        lines.map((l) => l.text),
      );
      expect(errors).toEqual([]);
      expect(result.hasProcess).toBe(false);
      expect(result.plain).toEqual(lines.map((l) => l.ids));
      expect(result.t5).toEqual([37, 32099, 10681, 16, 32098, 2447, 1]);
      expect(result.decoded).toBe('Hello world');
    } finally {
      await browser.close();
    }
  });
});
