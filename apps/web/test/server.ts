/**
 * The browser tests' loopback server: the built app (apps/web/dist), the model fixtures, the BBH
 * data and the test's own data files, with the cross-origin isolation headers `flan web` sends.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.jsonl': 'application/jsonl',
  '.txt': 'text/plain',
};

/**
 * Serves `mounts` (URL prefix → directory, longest prefix first); `extra` answers generated files.
 * `isolated: false` leaves out the COOP/COEP headers (a page that is not cross-origin isolated).
 */
export async function serve(
  mounts: Record<string, string>,
  extra: Record<string, string> = {},
  { isolated = true }: { isolated?: boolean } = {},
): Promise<{ url: string; server: Server; requests: string[] }> {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(`${req.method} ${path}`);
    if (isolated) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    res.setHeader('Cache-Control', 'no-store');
    if (extra[path] !== undefined) {
      res.setHeader('Content-Type', TYPES[extname(path)] ?? 'application/octet-stream');
      res.end(extra[path]);
      return;
    }
    const prefix = prefixes.find((p) => path.startsWith(p));
    const file =
      prefix === undefined ? undefined : normalize(join(mounts[prefix]!, path.slice(prefix.length)));
    const target = file && existsSync(file) && statSync(file).isDirectory() ? join(file, 'index.html') : file;
    if (target === undefined || !existsSync(target)) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    res.setHeader('Content-Type', TYPES[extname(target)] ?? 'application/octet-stream');
    res.setHeader('Content-Length', statSync(target).size);
    if (req.method === 'HEAD') return void res.end();
    createReadStream(target).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server, requests };
}
