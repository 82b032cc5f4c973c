/**
 * Browser tests: bundles made with esbuild, run in headless Chromium (Debian's `chromium` driven by
 * playwright-core, never a downloaded browser). Outside CI a missing browser skips the test; with `CI=true` it throws.
 */
import { existsSync } from 'node:fs';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
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
