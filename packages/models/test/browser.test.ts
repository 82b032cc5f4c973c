/**
 * The main entry works in a browser on the WASM backend, with our WebAssembly kernels installed in
 * tfjs-backend-wasm's memory: it bundles for `platform: 'browser'`, loads flan-t5-tiny over `fetch`
 * inside headless Chromium, and reproduces the reference logits and greedy tokens.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bundleForBrowser,
  chromiumAvailable,
  launchHeadlessChromium,
  openBundlePage,
} from '@flan-ts/test-support/chromium';
import type * as tfTypes from '@tensorflow/tfjs-core';
import type * as ModelsModule from '../src/index';
import type { installWasmKernels } from '../src/kernels/wasm/install';
import { fixtureDir, loadFixture, maxAbsDiff } from './t5-fixtures';

const hasChromium = chromiumAvailable();
const wasmDist = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));

type PageModules = typeof ModelsModule & {
  tf: typeof tfTypes;
  installWasmKernels: typeof installWasmKernels;
};

describe.skipIf(!fixtureDir('flan-t5-tiny') || !hasChromium)('@flan-ts/models in headless Chromium', () => {
  it('runs flan-t5-tiny on wasm with our kernels: reference logits and greedy tokens', async () => {
    const fixture = loadFixture('flan-t5-tiny');
    const ref = fixture.reference;
    // tfjs-backend-wasm's glue mentions Node modules on a path browsers never take.
    const script = await bundleForBrowser(join(import.meta.dirname, 'browser/entry.ts'), [
      'fs',
      'path',
      'worker_threads',
      'perf_hooks',
      'os',
    ]);
    expect(script).not.toMatch(/require\(["']node:/);

    const browser = await launchHeadlessChromium();
    try {
      const { page, errors } = await openBundlePage(browser, script, (path) =>
        path.startsWith('/wasm/')
          ? join(wasmDist, path.slice('/wasm/'.length))
          : path.startsWith('/model/')
            ? join(fixture.dir, path.slice('/model/'.length))
            : undefined,
      );
      const result = await page.evaluate(
        async ({ inputs, maxNewTokens }) => {
          const m = (globalThis as unknown as { flanModels: PageModules }).flanModels;
          const { tf } = m;
          await m.setWasmPaths('/wasm/');
          const backend = await m.initBackend('wasm');
          const kernelsInstalled = await m.installWasmKernels();
          const model = await m.loadT5('https://flan.test/model/');
          const before = tf.memory().numTensors;
          const batch = {
            inputIds: tf.tensor2d(inputs.input_ids, undefined, 'int32'),
            attentionMask: tf.tensor2d(inputs.attention_mask, undefined, 'int32'),
            decoderInputIds: tf.tensor2d(inputs.decoder_input_ids, undefined, 'int32'),
          };
          const logits = model.forward(batch);
          const [, tgtLen, vocab] = logits.shape;
          const values = await logits.data();
          const first8: number[][] = [];
          for (let t = 0; t < tgtLen; t++) first8.push(Array.from(values.subarray(t * vocab, t * vocab + 8)));
          let sum = 0;
          for (const v of values) sum += v;
          tf.dispose([logits, batch.inputIds, batch.attentionMask, batch.decoderInputIds]);
          const prompts = inputs.input_ids.map((ids, i) =>
            ids.filter((_, j) => inputs.attention_mask[i]![j] === 1),
          );
          const out = await m.generate(model, prompts, { maxNewTokens });
          const leaked = tf.memory().numTensors - before;
          model.dispose();
          return { backend, kernelsInstalled, first8, sum, newTokens: out.newTokens, leaked };
        },
        { inputs: ref.inputs, maxNewTokens: ref.greedy_generation.max_new_tokens },
      );
      expect(errors).toEqual([]);
      expect(result.backend).toBe('wasm');
      expect(result.kernelsInstalled).toBe(true);
      expect(maxAbsDiff(result.first8.flat(), ref.logits.first8_of_each_position_batch0.flat())).toBeLessThan(
        1e-4,
      );
      expect(Math.abs(result.sum - ref.logits.sum) / Math.abs(ref.logits.sum)).toBeLessThan(1e-5);
      expect(result.newTokens).toEqual(ref.greedy_generation.new_tokens);
      expect(result.leaked).toBe(0);
    } finally {
      await browser.close();
    }
  });
});
