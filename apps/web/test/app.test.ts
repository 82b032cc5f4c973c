/**
 * The built app (apps/web/dist) driven in headless Chromium with WebGPU on SwiftShader, everything
 * served by a loopback server: flan-t5-tiny loaded over HTTP, a data file rendered and previewed,
 * a few finetuning steps on WebGPU and on WASM with the loss falling, a reload that resumes from the
 * OPFS checkpoint with the step counter going on, a streamed answer, two BBH tasks, an MMLU subject
 * and an MGSM language evaluated from a data URL, the LoRA adapter downloaded and read back in PEFT layout, a too-large model refused and a
 * malformed data file named by its line. Screenshots of each stage land in apps/web/test-output/.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { sharedFile } from '@flan-ts/test-support';
import { chromiumAvailable, launchHeadlessChromium } from '@flan-ts/test-support/chromium';
import { serve } from './server';

const appDir = join(import.meta.dirname, '..');
const dist = join(appDir, 'dist');
const shots = join(appDir, 'test-output');
const tmp = mkdtempSync(join(tmpdir(), 'flan-web-'));
const tiny = sharedFile('fixtures/models/flan-t5-tiny');
const benchmarks = sharedFile('data');
const hasChromium = chromiumAvailable();
if (process.env.CI === 'true' && !existsSync(join(dist, 'index.html')))
  throw new Error(`CI=true and ${dist} is not built (npm run build -w apps/web)`);
const ready =
  tiny !== undefined && benchmarks !== undefined && hasChromium && existsSync(join(dist, 'index.html'));

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
        '/benchmarks/': benchmarks!,
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
    // The same model from local files (the file chooser; a drop or a directory gives the same files).
    await page.selectOption('#backend', 'webgpu');
    await page.setInputFiles(
      '#model-files',
      ['config.json', 'model.safetensors', 'spiece.model'].map((f) => join(tiny!, f)),
    );
    await page.waitForSelector('#download-status:has-text("loaded local files")');
    expect(await page.textContent('#model-info')).toContain('3+2 layers, d_model 64');
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

    // Records + the Flan CoT templates in the few-shot CoT format (10 records of the shared gsm8k set).
    const cot = join(tmp, 'gsm8k-10.jsonl');
    writeFileSync(
      cot,
      readFileSync(sharedFile('data/flan/cot/gsm8k.jsonl')!, 'utf8').split('\n').slice(0, 10).join('\n'),
    );
    await page.selectOption('#data-kind', 'cot');
    await page.selectOption('#data-format', 'few-shot-cot');
    await page.setInputFiles('#data-file', cot);
    await page.waitForSelector('#data-summary:has-text("8 training records, 2 held out")');
    const cotFirst = await page.$$eval('#preview-table tbody tr:first-child td', (tds) =>
      tds.map((td) => td.textContent!),
    );
    expect(cotFirst[2]).toMatch(/[Tt]he answer is .+\.$/);
    // Exemplars with their rationales and answers precede the question.
    expect(cotFirst[0]).toMatch(/[Tt]he answer is/);
    expect(Number(cotFirst[1])).toBeGreaterThan(100);
    await shot('4b-data-cot');

    // Records + a Flan template family (rte of FLAN's templates.json, fetched from the data URL).
    await page.selectOption('#data-kind', 'flan');
    await page.selectOption('#data-format', 'zero-shot');
    await page.fill('#templates-url', `${site.url}/benchmarks/flan/templates.json`);
    await page.press('#templates-url', 'Tab');
    await page.waitForSelector('#template-families option[value="rte"]', { state: 'attached' });
    await page.fill('#template-family', 'rte');
    await page.press('#template-family', 'Tab');
    // The gsm8k records still chosen lack the family's fields: the error names the file and line.
    const familyError = await page.waitForSelector('#data-error:has-text("gsm8k-10.jsonl:1")');
    expect(await familyError.textContent()).toBe('gsm8k-10.jsonl:1: field "premise" must be a string');
    await page.setInputFiles('#data-file', join(import.meta.dirname, 'data/rte.jsonl'));
    await page.waitForSelector('#data-summary:has-text("8 training records, 2 held out")');
    const rows = async () =>
      page.$$eval('#preview-table tbody tr', (trs) =>
        trs.map((tr) => [...tr.children].map((td) => td.textContent!)),
      );
    const zeroShot = await rows();
    for (const [input, , target] of zeroShot) {
      expect(input).toContain('OPTIONS:\n- yes\n- no');
      expect(['yes', 'no']).toContain(target);
    }
    expect(zeroShot.some(([input]) => input!.includes('apples'))).toBe(true);
    // Few-shot (FLAN's fewshot_patterns): solved exemplars, each with its options, before the question.
    await page.selectOption('#data-format', 'few-shot');
    await page.click('#preview-data');
    await page.waitForFunction(
      (before) => document.querySelector('#preview-table tbody td')?.textContent !== before,
      zeroShot[0]![0],
    );
    const fewShot = await rows();
    expect(fewShot[0]![0]!.split('OPTIONS:').length).toBeGreaterThan(2);
    await shot('4c-data-flan-family');
    await page.selectOption('#data-kind', 'pairs');
    await page.selectOption('#data-format', 'zero-shot');
    await page.setInputFiles('#data-file', join(import.meta.dirname, 'data/sums.jsonl'));
    await page.waitForSelector('#data-summary:has-text("24 training records")');
  });

  /** The metrics table: [step, training loss, validation loss] per row. */
  const metrics = () =>
    page.$$eval('#metrics-table tbody tr', (trs) =>
      trs.map((tr) =>
        [...tr.children].slice(0, 3).map((c) => (c.textContent === '' ? null : Number(c.textContent))),
      ),
    );

  async function settings(values: Record<string, string>): Promise<void> {
    for (const [id, v] of Object.entries(values)) await page.fill(`#${id}`, v);
  }

  it('finetunes on WebGPU: the training and validation loss shown fall', async () => {
    await settings({
      steps: '3',
      'save-every': '3',
      'eval-every': '3',
      'batch-size': '4',
      'input-length': '32',
      'target-length': '8',
      lr: '0.003',
    });
    const tensorsBefore = await page.textContent('#memory');
    expect(tensorsBefore).toMatch(/^memory: \d+ tensors/);
    await page.click('#train-start');
    await page.waitForSelector('#train-status:has-text("finished at step 3 of 3")', { timeout: 280_000 });
    // Every tensor of the run (gradients, optimizer state, batches) is freed when it ends.
    await page.waitForFunction(
      (before) => document.getElementById('memory')!.textContent!.split(',')[0] === before!.split(',')[0],
      tensorsBefore,
    );
    const rows = await metrics();
    expect(rows.map((r) => r[0])).toEqual([0, 1, 2, 3]);
    const train = rows.map((r) => r[1]).filter((v): v is number => v !== null);
    const valid = rows.map((r) => r[2]).filter((v): v is number => v !== null);
    expect(train).toHaveLength(3);
    expect(train[2]!).toBeLessThan(train[0]!);
    expect(valid).toHaveLength(2);
    expect(valid[1]!).toBeLessThan(valid[0]!);
    expect(await page.textContent('#train-stats')).toMatch(/step 3 of 3 · loss \d+\.\d{4} · \d+ tokens\/s/);
    expect(await page.textContent('#memory')).toMatch(/GPU \d/);
    await shot('5-finetune-webgpu');

    // The finetuned model downloads in Hugging Face layout, with its tokenizer.
    await page.click('#export-model');
    await page.waitForSelector('#export-links a[download="model.safetensors"]');
    const names = await page.$$eval('#export-links a', (as) => as.map((a) => a.getAttribute('download')));
    expect(names.sort()).toEqual([
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'spiece.model',
    ]);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('a[download="model.safetensors"]'),
    ]);
    const { parseSafetensors, readFloat32 } = await import('@flan-ts/models');
    const exported = parseSafetensors(
      new Uint8Array(readFileSync((await download.path())!)),
      'model.safetensors',
    );
    const original = parseSafetensors(
      new Uint8Array(readFileSync(join(tiny!, 'model.safetensors'))),
      'original',
    );
    expect([...exported.tensors.keys()].sort()).toEqual([...original.tensors.keys()].sort());
    // Three steps changed the weights.
    const a = readFloat32(exported, 'shared.weight');
    const b = readFloat32(original, 'shared.weight');
    expect(a.some((v, i) => v !== b[i])).toBe(true);
  });

  it('finetunes LoRA on WASM, pauses, survives a reload and resumes from the OPFS checkpoint', async () => {
    await loadModel('wasm');
    await page.waitForSelector('#download-status:has-text("loaded")');
    expect(await page.textContent('#model-info')).toContain('wasm (chosen in the page)');
    const lora = {
      steps: '40',
      'save-every': '4',
      'eval-every': '10',
      'batch-size': '4',
      'input-length': '32',
      'target-length': '8',
      lr: '0.01',
      'lora-r': '4',
      'lora-alpha': '8',
    };
    await settings(lora);
    await page.selectOption('#method', 'lora');
    await page.click('#train-start');
    const checkpointAt = (step: number) =>
      page.waitForFunction(
        (n) => Number(document.getElementById('checkpoint-status')!.dataset.step) >= n,
        step,
        {
          timeout: 120_000,
        },
      );
    await checkpointAt(4);
    await page.click('#train-pause');
    await page.waitForSelector('#train-status:has-text("paused after step")');
    expect(await page.isEnabled('#train-resume')).toBe(true);
    expect(await page.isEnabled('#train-pause')).toBe(false);
    await page.click('#train-resume');
    await page.waitForSelector('#train-status:has-text("running from step")');
    await checkpointAt(8);
    await page.click('#train-pause');
    await page.waitForSelector('#train-status:has-text("paused after step")');
    const before = await metrics();
    await shot('6a-paused');

    // A reload ends the worker mid-run; the page finds the checkpoint in OPFS.
    await page.reload();
    await loadModel('wasm');
    await page.waitForSelector('#checkpoint-status:has-text("a checkpoint at step")');
    const saved = Number(/step (\d+) of 40/.exec((await page.textContent('#checkpoint-status'))!)![1]);
    expect(saved).toBeGreaterThanOrEqual(8);
    expect(saved).toBeLessThanOrEqual(before.at(-1)![0]!);
    await page.setInputFiles('#data-file', join(import.meta.dirname, 'data/sums.jsonl'));
    await settings(lora);
    await page.selectOption('#method', 'lora');
    await page.click('#train-continue');
    await page.waitForSelector('#train-status:has-text("finished at step 40 of 40")', { timeout: 120_000 });
    const after = await metrics();
    // The run went on from the checkpoint's step; the curve before it came back with the checkpoint.
    expect(await page.$eval('#train-status', (p) => Number(p.dataset.startedAt))).toBe(saved);
    expect(after.filter((r) => r[1] !== null).map((r) => r[0])).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    for (const row of before.filter((r) => r[0]! <= saved))
      expect(after.find((r) => r[0] === row[0])).toEqual(row);
    // The first step after the checkpoint repeats the interrupted run's exactly (same data position).
    const uninterrupted = before.find((r) => r[0] === saved + 1)?.[1];
    if (uninterrupted !== undefined && uninterrupted !== null)
      expect(after.find((r) => r[0] === saved + 1)![1]).toBeCloseTo(uninterrupted, 3);
    const firstLoss = before.find((r) => r[0] === 1)![1]!;
    expect(after.at(-1)![1]!).toBeLessThan(firstLoss);
    await shot('6b-resumed');
    // Three loads by URL (one after a reload) downloaded the weights once: the others read Cache Storage.
    expect(site.requests.filter((r) => r === 'GET /models/flan-t5-tiny/model.safetensors')).toHaveLength(1);
    expect(await page.textContent('#download-status')).toContain('loaded');

    // Start anew and stop: the run ends after the current step and leaves its checkpoint.
    await page.click('#train-start');
    await page.waitForSelector('#train-status:has-text("started at step 0 of 40")');
    await page.waitForFunction(() => document.querySelectorAll('#metrics-table tbody tr').length >= 3);
    await page.click('#train-stop');
    const stopped = await page.waitForSelector('#train-status:has-text("stopped at step")');
    const stoppedAt = Number(/stopped at step (\d+) of 40/.exec((await stopped.textContent())!)![1]);
    expect(stoppedAt).toBeGreaterThanOrEqual(2);
    expect(stoppedAt).toBeLessThan(40);
    await page.waitForSelector(`#checkpoint-status:has-text("step ${stoppedAt} of 40")`);
    expect(await page.isEnabled('#train-start')).toBe(true);
  });

  it('generates a streamed answer, base and finetuned side by side', async () => {
    await page.fill('#prompt', 'What is 3 plus 4?');
    await page.fill('#max-new', '8');
    await page.click('#generate');
    await page.waitForSelector('#out-tuned[data-done="true"]', { timeout: 120_000 });
    const base = await page.$eval('#out-base', (o) => ({
      text: o.textContent,
      tokens: Number(o.dataset.tokens),
    }));
    expect(base.text!.length).toBeGreaterThan(0);
    // Tokens arrived one at a time (8 new tokens, or fewer when eos came first).
    expect(base.tokens).toBeGreaterThan(1);
    await shot('7-generate');
  });

  it('evaluates two BBH tasks, an MMLU subject and an MGSM language from a data URL, base beside finetuned', async () => {
    // Run alone (-t evaluates), the test loads the model itself; WASM keeps the added time small.
    if (!(await page.textContent('#download-status'))?.includes('loaded')) {
      await loadModel('wasm');
      await page.waitForSelector('#download-status:has-text("loaded")', { timeout: 120_000 });
    }
    await page.fill('#eval-url', `${site.url}/benchmarks/`);
    const choose = async (name: string, format: string, tasks: string, limit: string) => {
      await page.check(`#eval-${name}`);
      await page.selectOption(`#eval-${name}-format`, format);
      await page.fill(`#eval-${name}-tasks`, tasks);
      await page.fill(`#eval-${name}-limit`, limit);
    };
    // The format lists are the package's.
    expect(await page.$$eval('#eval-mmlu-format option', (os) => os.map((o) => o.textContent))).toEqual([
      'direct',
      'cot',
      'direct_hendrycks',
    ]);
    await choose('bbh', 'direct', 'navigate,web_of_lies', '3');
    await choose('mmlu', 'direct', 'abstract_algebra', '2');
    await choose('mgsm', 'native_cot', 'de', '2');
    await page.uncheck('#eval-tydiqa');
    await page.fill('#eval-max-new', '4');
    await page.click('#eval-run');
    await page.waitForSelector('#eval-table:not([hidden])', { timeout: 240_000 });
    const rows = await page.$$eval('#eval-table tr', (trs) =>
      trs.map((tr) => [...tr.children].map((c) => c.textContent)),
    );
    expect(rows[0]).toEqual(['benchmark', 'task', 'n', 'base', 'finetuned']);
    // In the page's (the paper's) benchmark order.
    expect(rows.slice(1).map((r) => r.slice(0, 3))).toEqual([
      ['mmlu direct', 'abstract_algebra', '2'],
      ['mmlu direct', 'average (macro)', '2'],
      ['bbh direct', 'navigate', '3'],
      ['bbh direct', 'web_of_lies', '3'],
      ['bbh direct', 'average (macro)', '6'],
      ['mgsm native_cot', 'de', '2'],
      ['mgsm native_cot', 'average (macro)', '2'],
    ]);
    // Accuracy over 3 examples is a multiple of 33.3 %, over 2 of 50 %.
    for (const r of rows.slice(1, 3))
      for (const v of r.slice(3)) expect([0, 33.3, 66.7, 100]).toContain(Number(v));
    for (const r of [rows[4]!, rows[6]!])
      for (const v of r.slice(3)) expect([0, 50, 100]).toContain(Number(v));
    expect(await page.textContent('#eval-sizes')).toBe(
      'mmlu: abstract_algebra 100 · bbh: navigate 250, web_of_lies 250 · mgsm: de 250 · evaluating 10',
    );
    // Read from the URL by the package's loader: the data files, the few-shot files and exemplars.
    for (const path of [
      'bbh/cot-prompts/navigate.txt',
      'mmlu/dev/abstract_algebra.jsonl',
      'mgsm/exemplars.json',
    ])
      expect(site.requests).toContain(`GET /benchmarks/${path}`);
    await shot('8-evaluate');
  });

  it("evaluates from a picked folder (one benchmark's), fetching nothing", async () => {
    const before = site.requests.length;
    // A picked folder wins over the URL; its files are read only when a task needs them.
    await page.setInputFiles('#eval-files', join(benchmarks!, 'bbh'));
    await page.uncheck('#eval-mmlu');
    await page.uncheck('#eval-mgsm');
    await page.fill('#eval-bbh-tasks', 'web_of_lies');
    await page.selectOption('#eval-bbh-format', 'cot');
    await page.fill('#eval-bbh-limit', '1');
    await page.click('#eval-run');
    await page.waitForSelector('#eval-sizes:has-text("evaluating 1")');
    await page.waitForFunction(
      () => document.querySelector('#eval-table tbody td')?.textContent === 'bbh cot',
    );
    const rows = await page.$$eval('#eval-table tbody tr', (trs) =>
      trs.map((tr) => [...tr.children].slice(0, 3).map((c) => c.textContent)),
    );
    expect(rows).toEqual([
      ['bbh cot', 'web_of_lies', '1'],
      ['bbh cot', 'average (macro)', '1'],
    ]);
    expect(await page.textContent('#eval-sizes')).toBe('bbh: web_of_lies 250 · evaluating 1');
    expect(site.requests.slice(before).filter((r) => r.includes('/benchmarks/'))).toEqual([]);
    await page.$eval('#eval-files', (input) => ((input as HTMLInputElement).value = ''));
  });

  it('downloads the LoRA adapter in PEFT layout, which the train package reads back', async () => {
    await page.click('#export-adapter');
    await page.waitForSelector('#export-links a[download="adapter_model.safetensors"]');
    const files: Record<string, Buffer> = {};
    for (const name of ['adapter_config.json', 'adapter_model.safetensors']) {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.click(`a[download="${name}"]`),
      ]);
      files[name] = readFileSync((await download.path())!);
    }
    await shot('9-export');
    const { initNodeBackend, loadT5 } = await import('@flan-ts/models/node');
    const { loraAdapterFromFiles, parseAdapterConfig } = await import('@flan-ts/train');
    const text = files['adapter_config.json']!.toString('utf8');
    const config = parseAdapterConfig(text);
    expect(config.r).toBe(4);
    expect(config.alpha).toBe(8);
    expect(JSON.parse(text).peft_type).toBe('LORA');
    await initNodeBackend('cpu');
    const model = await loadT5(tiny!);
    const adapter = loraAdapterFromFiles(model, {
      config: text,
      weights: new Uint8Array(files['adapter_model.safetensors']!),
    });
    // q and v of 3 encoder self-attentions, 2 decoder self- and 2 cross-attentions: 7 × 2 modules, A and B each.
    expect(adapter.variables().size).toBe(28);
    const b = [...adapter.variables()].find(([k]) => k.endsWith('lora_B.weight'))![1];
    // Trained: B starts at zero in LoRA, so a nonzero B is the finetuning's.
    expect(Math.max(...Array.from(await b.data()).map(Math.abs))).toBeGreaterThan(0);
    adapter.dispose();
    model.dispose();

    // A narrow window: one column, nothing wider than the viewport.
    await page.setViewportSize({ width: 420, height: 800 });
    // The chart follows the new width from a resize observer, a frame or two later.
    await page
      .waitForFunction(() => document.documentElement.scrollWidth <= 420, undefined, { timeout: 5000 })
      .catch(() => {});
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(420);
    await shot('10-narrow');
    expect(errors).toEqual([]);
  });
});
