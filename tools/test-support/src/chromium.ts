/**
 * Browser tests: bundles made with esbuild, run in headless Chromium (Debian's `chromium` driven by
 * playwright-core, never a downloaded browser). Outside CI a missing browser skips the test; with `CI=true` it throws.
 */
import { existsSync, readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { isCI } from './index';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Whether the browser is installed; throws under CI when it is not. */
export function chromiumAvailable(): boolean {
  const present = existsSync(CHROMIUM_PATH);
  if (isCI && !present)
    throw new Error(`CI=true and ${CHROMIUM_PATH} is missing (install Debian's chromium)`);
  return present;
}

/** Launches headless Chromium on a machine without network (`extraArgs`, e.g. `--enable-unsafe-webgpu`). */
export function launchHeadlessChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...extraArgs,
    ],
  });
}

/** Bundles `entryPoint` as one classic browser script (IIFE, ES2022) and returns its text. */
export async function bundleForBrowser(entryPoint: string, external: string[] = []): Promise<string> {
  const bundle = await build({
    entryPoints: [entryPoint],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    external,
  });
  return bundle.outputFiles[0]!.text;
}

/** Origin of the pages {@link openBundlePage} serves (never fetched from the network). */
export const TEST_ORIGIN = 'https://flan.test';

/**
 * Opens a page at `https://flan.test/` that runs `script`. Other paths are served from the files
 * `fileFor(path)` names (404 when it names a missing file); paths it leaves undefined get the page
 * itself. `errors` collects the page's uncaught errors.
 */
export async function openBundlePage(
  browser: Browser,
  script: string,
  fileFor: (path: string) => string | undefined,
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.route(`${TEST_ORIGIN}/**`, (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/bundle.js') return route.fulfill({ body: script, contentType: 'text/javascript' });
    const file = fileFor(path);
    if (file === undefined) {
      return route.fulfill({
        body: '<!doctype html><script src="/bundle.js"></script>',
        contentType: 'text/html',
      });
    }
    if (!existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
    const contentType = file.endsWith('.wasm') ? 'application/wasm' : 'application/octet-stream';
    return route.fulfill({ body: readFileSync(file), contentType });
  });
  await page.goto(`${TEST_ORIGIN}/`);
  return { page, errors };
}
