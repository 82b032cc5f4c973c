/**
 * The built app with a decoder-only model: llama-tiny paired with a byte-level BPE tokenizer learned
 * here, served over loopback, LoRA-finetuned on WASM (the loss falls; PEFT's default targets q_proj
 * and v_proj) and generating a streamed answer.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { sharedFile, writeLlamaTinyWithBpe } from '@flan-ts/test-support';
import { chromiumAvailable, launchHeadlessChromium } from '@flan-ts/test-support/chromium';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from './server';

const appDir = join(import.meta.dirname, '..');
const dist = join(appDir, 'dist');
const shots = join(appDir, 'test-output');
const llama = sharedFile('fixtures/models/llama-tiny');
const cot = sharedFile('data/flan/cot');
const ready =
  llama !== undefined && cot !== undefined && chromiumAvailable() && existsSync(join(dist, 'index.html'));

describe.skipIf(!ready)('the web app with a decoder-only model (llama-tiny)', () => {
  let browser: Browser;
  let page: Page;
  let site: Awaited<ReturnType<typeof serve>>;
  let model: string;
  const errors: string[] = [];

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    model = join(mkdtempSync(join(tmpdir(), 'flan-web-causal-')), 'llama-tiny-bpe');
    writeLlamaTinyWithBpe(model, llama!, cot!);
    site = await serve({
      '/': dist,
      '/models/llama-tiny/': model,
      '/data/': join(import.meta.dirname, 'data'),
    });
    browser = await launchHeadlessChromium([]);
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${site.url}/`);
  });

  afterAll(async () => {
    await browser?.close();
    site?.server.close();
  });

  it('loads it by URL, LoRA-finetunes it on WASM (2 threads) with the loss falling, and generates an answer', async () => {
    await page.selectOption('#backend', 'wasm');
    await page.fill('#threads', '2');
    await page.fill('#model-url', `${site.url}/models/llama-tiny/`);
    await page.click('#load-url');
    await page.waitForSelector('#download-status:has-text("loaded")', { timeout: 120_000 });
    const info = await page.textContent('#model-info');
    expect(info).toContain('llama decoder-only: 2 layers, hidden 64');
    expect(info).toContain('byte-level BPE');
    // The test server sends COOP/COEP, as `flan web` and the dev server do: the kernels get 2 threads.
    expect(info).toContain('threads2 in use (2 asked for)');

    await page.setInputFiles('#data-file', join(import.meta.dirname, 'data/sums.jsonl'));
    await page.waitForSelector('#preview-table:not([hidden]) tbody tr');
    for (const [id, v] of Object.entries({
      steps: '12',
      'save-every': '12',
      'eval-every': '12',
      'batch-size': '4',
      'input-length': '32',
      'target-length': '16',
      lr: '0.05',
      'lora-r': '8',
      'lora-alpha': '16',
      'lora-targets': '',
    }))
      await page.fill(`#${id}`, v);
    await page.selectOption('#method', 'lora');
    await page.click('#train-start');
    await page.waitForSelector('#train-status:has-text("finished at step 12 of 12")', { timeout: 240_000 });
    const losses = await page.$$eval('#metrics-table tbody tr', (trs) =>
      trs.map((tr) => Number(tr.children[1]!.textContent || 'NaN')).filter((v) => !Number.isNaN(v)),
    );
    expect(losses.length).toBe(12);
    expect(losses[11]!).toBeLessThan(losses[0]!);
    await page.screenshot({ path: join(shots, 'causal-finetune.png'), fullPage: true });

    await page.fill('#prompt', 'Q: What is 2 + 3? A:');
    await page.fill('#max-new', '6');
    await page.click('#generate');
    await page.waitForSelector('#out-tuned[data-done="true"]', { timeout: 120_000 });
    const tokens = await page.$eval('#out-tuned', (o) => Number(o.dataset.tokens));
    expect(tokens).toBeGreaterThanOrEqual(1);
    expect(errors).toEqual([]);
  }, 400_000);

  it('on a page served without COOP/COEP, runs the kernels on 1 thread and says why', async () => {
    const plain = await serve({ '/': dist, '/models/llama-tiny/': model }, {}, { isolated: false });
    const other = await (await browser.newContext()).newPage();
    other.on('pageerror', (e) => errors.push(e.message));
    try {
      await other.goto(`${plain.url}/`);
      await other.selectOption('#backend', 'wasm');
      await other.fill('#threads', '2');
      await other.fill('#model-url', `${plain.url}/models/llama-tiny/`);
      await other.click('#load-url');
      await other.waitForSelector('#download-status:has-text("loaded")', { timeout: 120_000 });
      expect(await other.textContent('#model-info')).toContain(
        'threads1 in use (2 asked for): the page is not cross-origin isolated',
      );
      expect(errors).toEqual([]);
    } finally {
      await other.close();
      plain.server.close();
    }
  }, 200_000);
});
