/**
 * Threads in a browser: a cross-origin isolated page (COOP same-origin + COEP require-corp) runs the
 * GEMM on 2 threads with the same bits as on 1 (the page's main thread spins, it may not block); a
 * page without the headers falls back to 1 thread and says why. Headless Chromium, pages served by request interception.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  TEST_ORIGIN,
  bundleForBrowser,
  chromiumAvailable,
  launchHeadlessChromium,
} from '@flan-ts/test-support/chromium';
import type * as tfTypes from '@tensorflow/tfjs-core';
import type * as ModelsModule from '../src/index';

const wasmDist = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));

type PageModules = typeof ModelsModule & { tf: typeof tfTypes };

interface PageResult {
  isolated: boolean;
  status: ModelsModule.ThreadStatus;
  sameBits: boolean;
  leaked: number;
  fusedMultiplyAdd: boolean;
}

const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

describe.skipIf(!chromiumAvailable())('wasm threads in headless Chromium', () => {
  it('an isolated page uses 2 threads (same bits as 1), one without COOP/COEP falls back to 1', async () => {
    const script = await bundleForBrowser(join(import.meta.dirname, 'wasm-threads-browser.entry.ts'), [
      'fs',
      'path',
      'worker_threads',
      'perf_hooks',
      'os',
    ]);
    const browser = await launchHeadlessChromium();
    try {
      const open = async (isolated: boolean): Promise<PageResult> => {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        const headers = isolated ? ISOLATION_HEADERS : {};
        await page.route(`${TEST_ORIGIN}/**`, (route) => {
          const path = new URL(route.request().url()).pathname;
          if (path === '/bundle.js') {
            return route.fulfill({ body: script, contentType: 'text/javascript', headers });
          }
          if (path.startsWith('/wasm/')) {
            const body = readFileSync(join(wasmDist, path.slice('/wasm/'.length)));
            return route.fulfill({ body, contentType: 'application/wasm', headers });
          }
          return route.fulfill({
            body: '<!doctype html><script src="/bundle.js"></script>',
            contentType: 'text/html',
            headers,
          });
        });
        await page.goto(`${TEST_ORIGIN}/`);
        const result = await page.evaluate(async () => {
          const m = (globalThis as unknown as { flanModels: PageModules }).flanModels;
          const { tf } = m;
          await m.setWasmPaths('/wasm/');
          await m.initBackend('wasm', { threads: 2 });
          const status = m.threadStatus();
          const before = tf.memory().numTensors;
          const product = (): Uint32Array => {
            const out = tf.tidy(() => {
              const a = tf.randomUniform([257, 300], -1, 1, 'float32', 1);
              const b = tf.randomUniform([300, 129], -1, 1, 'float32', 2);
              return tf.matMul(a, b);
            });
            const bits = new Uint32Array(Float32Array.from(out.dataSync()).buffer);
            out.dispose();
            return bits;
          };
          const two = product();
          await m.setNumThreads(1);
          const one = product();
          const sameBits = two.length === one.length && two.every((v, i) => v === one[i]);
          const fusedMultiplyAdd = m.wasmUsesFusedMultiplyAdd();
          const leaked = tf.memory().numTensors - before;
          return { isolated: crossOriginIsolated, status, sameBits, leaked, fusedMultiplyAdd };
        });
        expect(errors).toEqual([]);
        await page.close();
        return result;
      };
      const isolated = await open(true);
      expect(isolated.isolated).toBe(true);
      expect(isolated.status).toEqual({ requested: 2, inUse: 2 });
      expect(isolated.sameBits).toBe(true);
      expect(isolated.leaked).toBe(0);
      // Chromium ships relaxed SIMD: the fused multiply-add GEMM is the one picked.
      expect(isolated.fusedMultiplyAdd).toBe(true);
      const plain = await open(false);
      expect(plain.isolated).toBe(false);
      expect(plain.status.inUse).toBe(1);
      expect(plain.status.requested).toBe(2);
      expect(plain.status.reason).toMatch(
        /not cross-origin isolated.*Cross-Origin-Opener-Policy: same-origin/,
      );
      expect(plain.sameBits).toBe(true);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
