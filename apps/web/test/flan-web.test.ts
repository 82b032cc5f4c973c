/**
 * `flan web` (apps/cli) serves the built app with the cross-origin isolation headers, prints its URL,
 * keeps requests inside the app's directory, and names a missing build instead of serving nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..', '..');
const dist = join(repo, 'apps', 'web', 'dist');
const flan = ['--import', 'tsx', '--conditions=@flan-ts/source', join(repo, 'apps', 'cli', 'src', 'flan.ts')];

function start(args: string[]): {
  child: ChildProcess;
  output: Promise<{ stdout: string; stderr: string; code: number | null }>;
  url: Promise<string>;
} {
  const child = spawn(process.execPath, [...flan, 'web', ...args], { cwd: repo });
  let stdout = '';
  let stderr = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /http:\/\/\S+\//.exec(stdout);
      if (m) resolve(m[0]);
    });
    child.on('exit', () => reject(new Error(`flan web exited: ${stderr}`)));
  });
  // A run that is meant to fail never prints a URL.
  url.catch(() => {});
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const output = new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) =>
    child.on('exit', (code) => resolve({ stdout, stderr, code })),
  );
  return { child, output, url };
}

describe.skipIf(!existsSync(join(dist, 'index.html')))('flan web', () => {
  const children: ChildProcess[] = [];
  afterAll(() => children.forEach((c) => c.kill('SIGTERM')));

  it('serves the built app with COOP/COEP and prints the URL', async () => {
    const run = start(['--port', '0']);
    children.push(run.child);
    const url = await run.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(page.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('<title>flan-ts');
    expect((await fetch(`${url}%2e%2e/%2e%2e/package.json`)).status).toBe(404);
    expect((await fetch(`${url}no-such-file.js`)).status).toBe(404);
    run.child.kill('SIGTERM');
    expect((await run.output).code).toBe(0);
  });

  it('names a directory without a built app and exits 1', async () => {
    const run = start(['--dir', join(repo, 'apps', 'web', 'src')]);
    const { stderr, code } = await run.output;
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(
      `flan: ${join(repo, 'apps', 'web', 'src')} holds no built app (index.html): run \`npm run build -w apps/web\` first, or pass --dir`,
    );
  });
});
