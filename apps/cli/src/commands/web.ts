/**
 * `flan web`: serves the built browser app (apps/web/dist) on loopback with the headers it needs
 * (cross-origin isolation: COOP/COEP) and prints the URL. Static files only; nothing is uploaded.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { integerFlag } from '../flags';
import { CliError } from '../io';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** apps/web/dist beside this CLI (apps/cli/dist/flan.js, or apps/cli/src/commands/web.ts under tsx). */
function defaultAppDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return resolve(dir, '..', 'web', 'dist');
}

interface WebFlags {
  port: number;
  host: string;
  dir?: string;
}

export function registerWeb(program: Command): void {
  program
    .command('web')
    .description(
      'Serve the browser app (load, finetune, evaluate, try and export a Flan-T5 in the page) on loopback and print its URL',
    )
    .option('--port <n>', 'port (0: any free one)', integerFlag('--port', 0), 5180)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--dir <path>', 'the built app (default: apps/web/dist of this checkout)')
    .action((flags: WebFlags) => serveApp(flags));
}

async function serveApp(flags: WebFlags): Promise<void> {
  const root = resolve(flags.dir ?? defaultAppDir());
  if (!existsSync(join(root, 'index.html')))
    throw new CliError(
      `${root} holds no built app (index.html): run \`npm run build -w apps/web\` first, or pass --dir`,
    );
  const server = createServer((req, res) => {
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      res.statusCode = 400;
      return void res.end('bad request');
    }
    const file = resolve(root, `.${path}`);
    const inside = relative(root, file);
    if (inside.startsWith('..') || inside.split(sep).includes('..')) {
      res.statusCode = 403;
      return void res.end('forbidden');
    }
    const target = existsSync(file) && statSync(file).isDirectory() ? join(file, 'index.html') : file;
    if (!existsSync(target) || !statSync(target).isFile()) {
      res.statusCode = 404;
      return void res.end('not found');
    }
    res.setHeader('Content-Type', TYPES[extname(target)] ?? 'application/octet-stream');
    res.setHeader('Content-Length', statSync(target).size);
    if (req.method === 'HEAD') return void res.end();
    createReadStream(target).pipe(res);
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new CliError(
          error.code === 'EADDRINUSE'
            ? `--port ${flags.port} is in use on ${flags.host}: pass another --port (0 picks a free one)`
            : `cannot listen on ${flags.host}:${flags.port} (${error.code ?? error.message})`,
        ),
      ),
    );
    server.listen(flags.port, flags.host, resolvePromise);
  });
  const { port } = server.address() as AddressInfo;
  const host = flags.host.includes(':') ? `[${flags.host}]` : flags.host;
  process.stdout.write(`flan web: the app is at http://${host}:${port}/ (serving ${root}; Ctrl-C stops)\n`);
  await new Promise<void>((resolveClose) => {
    const stop = () => server.close(() => resolveClose());
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
