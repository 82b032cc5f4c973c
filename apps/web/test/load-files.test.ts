/**
 * The built app's local-file loading paths in headless Chromium, each over the page's real code:
 * flan-t5-tiny dropped on the drop zone (a real `drop` event carrying a DataTransfer of File objects),
 * dropped as a folder and picked as a directory (real FileSystemDirectoryHandles from OPFS stand in
 * for what a drag of a folder and the picker give; headless Chromium shows no picker), and chosen in
 * the file chooser the drop zone opens from the keyboard. Also drops that lack a file, a browser
 * without `showDirectoryPicker`, a cancelled picker and a refused one. Everything loads on WASM and
 * nothing trains: the load paths are tested here, not a backend.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, FileChooser, JSHandle, Page } from 'playwright-core';
import { sharedFile } from '@flan-ts/test-support';
import { chromiumAvailable, launchHeadlessChromium } from '@flan-ts/test-support/chromium';
import { serve } from './server';

const appDir = join(import.meta.dirname, '..');
const dist = join(appDir, 'dist');
const shots = join(appDir, 'test-output');
const tiny = sharedFile('fixtures/models/flan-t5-tiny');
const hasChromium = chromiumAvailable();
if (process.env.CI === 'true' && !existsSync(join(dist, 'index.html')))
  throw new Error(`CI=true and ${dist} is not built (npm run build -w apps/web)`);
const ready = tiny !== undefined && hasChromium && existsSync(join(dist, 'index.html'));

const MODEL_FILES = ['config.json', 'model.safetensors', 'spiece.model'];

describe.skipIf(!ready)('loading a model from local files in headless Chromium', () => {
  let browser: Browser;
  let page: Page;
  let site: Awaited<ReturnType<typeof serve>>;
  const errors: string[] = [];
  /** File choosers the page opened (listening from the start: Playwright intercepts them only once a listener is there). */
  const choosers: FileChooser[] = [];

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    site = await serve({ '/': dist, '/models/flan-t5-tiny/': tiny! });
    process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
    browser = await launchHeadlessChromium(['--enable-unsafe-webgpu']);
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('filechooser', (c) => choosers.push(c));
    await page.goto(`${site.url}/`);
    await page.selectOption('#backend', 'wasm');
  });

  afterAll(async () => {
    await browser?.close();
    site?.server.close();
  });

  const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

  /** Empties the model section, so that each test sees only what its own load shows. */
  const clearModel = () =>
    page.$eval('#model-section', (section) => {
      for (const id of ['download-status', 'model-info', 'model-error'])
        section.querySelector(`#${id}`)!.replaceChildren();
    });

  /** A DataTransfer in the page holding `names` of flan-t5-tiny as File objects (bytes fetched from the loopback server). */
  const dataTransfer = (names: string[]): Promise<JSHandle<DataTransfer>> =>
    page.evaluateHandle(async (names) => {
      const transfer = new DataTransfer();
      for (const name of names) {
        const bytes = await (await fetch(`/models/flan-t5-tiny/${name}`)).arrayBuffer();
        transfer.items.add(new File([bytes], name));
      }
      return transfer;
    }, names);

  async function expectLoaded(label: string): Promise<void> {
    await page.waitForSelector(`#download-status:has-text("loaded ${label}")`, { timeout: 120_000 });
    const info = await page.textContent('#model-info');
    expect(info).toContain(`model${label}`);
    expect(info).toContain('3+2 layers, d_model 64');
    expect(info).toMatch(/parameters[\d,]+/);
    expect(info).toContain('wasm (chosen in the page)');
    expect(await page.textContent('#model-error')).toBe('');
  }

  it('loads flan-t5-tiny dropped on the drop zone, which shows the drag while it is over it', async () => {
    const transfer = await dataTransfer(MODEL_FILES);
    const over = () => page.$eval('#drop-zone', (zone) => zone.classList.contains('over'));
    expect(await over()).toBe(false);
    await page.dispatchEvent('#drop-zone', 'dragover', { dataTransfer: transfer });
    expect(await over()).toBe(true);
    // Moving onto the zone's own button is still over the zone; leaving it is not.
    const button = await page.$('#pick-dir');
    await page.dispatchEvent('#drop-zone', 'dragleave', { dataTransfer: transfer, relatedTarget: button });
    expect(await over()).toBe(true);
    await page.dispatchEvent('#drop-zone', 'dragleave', { dataTransfer: transfer });
    expect(await over()).toBe(false);
    await page.dispatchEvent('#drop-zone', 'dragover', { dataTransfer: transfer });
    expect(await over()).toBe(true);
    await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer: transfer });
    expect(await over()).toBe(false);
    await expectLoaded('dropped files');
    await shot('load-1-dropped-files');
  });

  it('names what a drop lacks: the weights, the config or the tokenizer', async () => {
    const dropLacking = async (missing: string) => {
      await clearModel();
      const transfer = await dataTransfer(MODEL_FILES.filter((f) => f !== missing));
      await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer: transfer });
      const error = await page.waitForSelector('#model-error:not(:empty)');
      expect(await page.textContent('#download-status')).toBe('');
      // The backend's rows only (they come before the files are read), no model's.
      expect(await page.textContent('#model-info')).not.toContain('parameters');
      return error.textContent();
    };
    expect(await dropLacking('model.safetensors')).toBe(
      'dropped files/model.safetensors: not found, and neither is model.safetensors.index.json',
    );
    await shot('load-2-drop-without-weights');
    expect(await dropLacking('config.json')).toBe('dropped files: no config.json among the files');
    expect(await dropLacking('spiece.model')).toBe(
      'dropped files: the checkpoint has no tokenizer (spiece.model or tokenizer.json)',
    );
    // Text dragged in (no files) is not a load.
    await clearModel();
    const text = await page.evaluateHandle(() => {
      const t = new DataTransfer();
      t.setData('text/plain', 'config.json');
      return t;
    });
    await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer: text });
    expect(await page.textContent('#download-status')).toBe('');
    expect(await page.textContent('#model-error')).toBe('');
  });

  /** Writes flan-t5-tiny's files (and a subdirectory the readers skip) to OPFS `picked/flan-t5-tiny`. */
  const writeToOpfs = () =>
    page.evaluate(async (names) => {
      const root = await navigator.storage.getDirectory();
      const dir = await (
        await root.getDirectoryHandle('picked', { create: true })
      ).getDirectoryHandle('flan-t5-tiny', { create: true });
      for (const name of names) {
        const bytes = await (await fetch(`/models/flan-t5-tiny/${name}`)).arrayBuffer();
        const writable = await (await dir.getFileHandle(name, { create: true })).createWritable();
        await writable.write(bytes);
        await writable.close();
      }
      await dir.getDirectoryHandle('logs', { create: true });
    }, MODEL_FILES);

  /** Makes the page's `showDirectoryPicker` resolve to the OPFS directory, reject with `rejectWith`, or be absent. */
  const stubPicker = (how: { resolve: true } | { rejectWith: string } | { absent: true }) =>
    page.evaluate((how) => {
      const w = window as unknown as { showDirectoryPicker?: () => Promise<FileSystemDirectoryHandle> };
      w.showDirectoryPicker =
        'absent' in how
          ? undefined
          : 'resolve' in how
            ? async () =>
                (
                  await (await navigator.storage.getDirectory()).getDirectoryHandle('picked')
                ).getDirectoryHandle('flan-t5-tiny')
            : async () => {
                // Chromium's words for each.
                throw new DOMException(
                  how.rejectWith === 'AbortError'
                    ? 'The user aborted a request.'
                    : 'Must be handling a user gesture to show a file picker.',
                  how.rejectWith,
                );
              };
    }, how);

  it('loads the files of a directory picked with showDirectoryPicker (an OPFS directory handle)', async () => {
    await writeToOpfs();
    await clearModel();
    await stubPicker({ resolve: true });
    await page.click('#pick-dir');
    await expectLoaded('flan-t5-tiny');
    await shot('load-3-picked-directory');
  });

  it('does nothing on a cancelled picker, names a refused one, and says when there is no picker', async () => {
    const statusBefore = await page.textContent('#download-status');
    const infoBefore = await page.textContent('#model-info');
    await stubPicker({ rejectWith: 'AbortError' });
    await page.click('#pick-dir');
    // A cancel is not an error: the model loaded before stays, and nothing is said.
    await page.waitForTimeout(300);
    expect(await page.textContent('#model-error')).toBe('');
    expect(await page.textContent('#download-status')).toBe(statusBefore);
    expect(await page.textContent('#model-info')).toBe(infoBefore);

    await stubPicker({ rejectWith: 'SecurityError' });
    await page.click('#pick-dir');
    expect(await (await page.waitForSelector('#model-error:not(:empty)')).textContent()).toBe(
      'the directory could not be opened: Must be handling a user gesture to show a file picker.',
    );

    await stubPicker({ absent: true });
    await page.click('#pick-dir');
    await page.waitForSelector('#model-error:has-text("this browser cannot pick")');
    expect(await page.textContent('#model-error')).toBe(
      'this browser cannot pick a directory: choose or drop the files instead',
    );
    await shot('load-4-no-directory-picker');
  });

  it('loads a dropped folder from the handle the drop gives', async () => {
    await clearModel();
    // Chromium gives a dropped folder's handle through getAsFileSystemHandle(); a synthetic
    // DataTransfer cannot hold a folder, so its one item answers with the OPFS directory's handle.
    await page.evaluate(() => {
      const proto = DataTransferItem.prototype as unknown as {
        getAsFileSystemHandle: () => Promise<FileSystemHandle | null>;
      };
      const original = proto.getAsFileSystemHandle;
      proto.getAsFileSystemHandle = function (this: DataTransferItem) {
        if (this.getAsFile()?.name !== 'flan-t5-tiny') return original.call(this);
        return navigator.storage
          .getDirectory()
          .then((root) => root.getDirectoryHandle('picked'))
          .then((picked) => picked.getDirectoryHandle('flan-t5-tiny'));
      };
    });
    const folder = await page.evaluateHandle(() => {
      const t = new DataTransfer();
      t.items.add(new File([], 'flan-t5-tiny'));
      return t;
    });
    await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer: folder });
    await expectLoaded('flan-t5-tiny');
  });

  it('opens the file chooser from the drop zone with Enter and Space, and loads the chosen files', async () => {
    await clearModel();
    await page.evaluate(() => window.scrollTo(0, 0));
    const press = async (selector: string, key: string) => {
      const before = choosers.length;
      await page.focus(selector);
      await page.keyboard.press(key);
      return before;
    };
    for (const key of ['Enter', ' ']) {
      const before = await press('#drop-zone', key);
      await expect.poll(() => choosers.length).toBe(before + 1);
      expect(choosers.at(-1)!.isMultiple()).toBe(true);
    }
    // Space opened the chooser without scrolling the page.
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    // Enter on the zone's own button is the button's (the directory picker), not a second chooser.
    await stubPicker({ rejectWith: 'AbortError' });
    await page.evaluate(() => {
      const w = window as unknown as { showDirectoryPicker: () => Promise<unknown>; picked?: number };
      const cancel = w.showDirectoryPicker;
      w.showDirectoryPicker = () => ((w.picked = (w.picked ?? 0) + 1), cancel());
    });
    const before = await press('#pick-dir', 'Enter');
    await page.waitForFunction(() => (window as unknown as { picked?: number }).picked === 1);
    await page.waitForTimeout(300);
    expect(choosers.length).toBe(before);

    await press('#drop-zone', 'Enter');
    await expect.poll(() => choosers.length).toBe(before + 1);
    await choosers.at(-1)!.setFiles(MODEL_FILES.map((f) => join(tiny!, f)));
    await expectLoaded('local files');
    await shot('load-5-keyboard-chosen-files');
    expect(errors).toEqual([]);
  });
});
