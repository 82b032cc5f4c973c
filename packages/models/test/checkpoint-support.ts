/**
 * Test helpers for checkpoints: a loopback HTTP server that serves local directories in the hub's
 * URL layout, and small synthetic T5 configs. No test touches the internet.
 */
import { createReadStream, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  serializeSafetensors,
  type NamedFloat32Tensor,
  type SerializeOptions,
} from '../src/checkpoint/safetensors';

export interface HubRepo {
  /** Directory whose files the repo serves. */
  dir: string;
  /** 40-hex commit that `main` resolves to. */
  commit: string;
  /** A gated repo: resolve answers 401 unless `Authorization: Bearer <token>` is sent. */
  token?: string;
}

export interface HubRequest {
  method: string;
  path: string;
  /** The Authorization header, when one was sent. */
  authorization?: string;
}

export interface FakeHub {
  endpoint: string;
  requests: HubRequest[];
  /** Files whose body is cut after this many bytes (the declared length stays the full size). */
  cutAfter: Map<string, number>;
  close(): Promise<void>;
}

/** Files the hub stores in LFS and serves by redirect to its storage host. */
const LFS = /\.(safetensors|model|bin)$/;

/**
 * `GET|HEAD /{repo}/resolve/{main|commit}/{file}`: small files answer 200 with `x-repo-commit`;
 * LFS files answer 302 to `/storage/...` with `x-repo-commit` and `x-linked-size`, as the hub does;
 * a missing file or revision is a 404 with `x-error-code`. With `storageOrigin`, redirects go to
 * that other server (another fake hub serving the same repos), as the hub's go to its CDN.
 */
export async function startFakeHub(
  repos: Record<string, HubRepo>,
  options: { storageOrigin?: string } = {},
): Promise<FakeHub> {
  const requests: HubRequest[] = [];
  const cutAfter = new Map<string, number>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = decodeURIComponent(url.pathname);
    const authorization = req.headers.authorization;
    requests.push({ method: req.method ?? 'GET', path, ...(authorization ? { authorization } : {}) });
    const storage = /^\/storage\/(.+)\/([0-9a-f]{40})\/(.+)$/.exec(path);
    const resolve = /^\/(.+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const notFound = (code: string, commit?: string) => {
      res.writeHead(404, { 'x-error-code': code, ...(commit ? { 'x-repo-commit': commit } : {}) });
      res.end(code);
    };
    const send = (file: string, headers: Record<string, string>) => {
      const size = statSync(file).size;
      res.writeHead(200, { 'content-length': String(size), ...headers });
      if (req.method === 'HEAD') return res.end();
      const cut = cutAfter.get(path.split('/').pop()!);
      if (cut === undefined) return createReadStream(file).pipe(res);
      createReadStream(file, { start: 0, end: cut - 1 })
        .on('end', () => res.destroy())
        .pipe(res, { end: false });
    };
    if (storage) {
      const repo = repos[storage[1]!];
      const file = repo && join(repo.dir, storage[3]!);
      if (!repo || storage[2] !== repo.commit || !existsSync(file!)) return notFound('EntryNotFound');
      return send(file!, {});
    }
    if (!resolve) return notFound('RepoNotFound');
    const [, repoId, revision, name] = resolve;
    const repo = repos[repoId!];
    if (!repo) return notFound('RepoNotFound');
    if (repo.token !== undefined && authorization !== `Bearer ${repo.token}`) {
      res.writeHead(401, { 'x-error-code': 'GatedRepo' });
      return res.end('GatedRepo');
    }
    if (revision !== 'main' && revision !== repo.commit) return notFound('RevisionNotFound');
    const file = join(repo.dir, name!);
    if (!existsSync(file)) return notFound('EntryNotFound', repo.commit);
    if (LFS.test(name!)) {
      res.writeHead(302, {
        location: `${options.storageOrigin ?? ''}/storage/${repoId}/${repo.commit}/${name}`,
        'x-repo-commit': repo.commit,
        'x-linked-size': String(statSync(file).size),
      });
      return res.end();
    }
    send(file, { 'x-repo-commit': repo.commit, etag: `"${repo.commit.slice(0, 8)}"` });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    cutAfter,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** A T5 small enough to build per test: `overrides` are Hugging Face config.json keys. */
export function tinyConfigJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    architectures: ['T5ForConditionalGeneration'],
    model_type: 't5',
    vocab_size: 24,
    d_model: 8,
    d_kv: 4,
    num_heads: 2,
    d_ff: 12,
    num_layers: 2,
    num_decoder_layers: 1,
    relative_attention_num_buckets: 8,
    relative_attention_max_distance: 16,
    feed_forward_proj: 'gated-gelu',
    tie_word_embeddings: false,
    ...overrides,
  };
}

/** Deterministic values (a small LCG), distinct per tensor, exactly representable in bf16 when asked. */
export function syntheticTensors(
  expected: readonly { name: string; shape: readonly number[] }[],
  seed = 1,
): NamedFloat32Tensor[] {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
  return expected.map(({ name, shape }) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = next();
    return { name, shape, data };
  });
}

/** Writes config.json and model.safetensors of the given tensors into `dir`. */
export function writeModelDir(
  dir: string,
  configJson: Record<string, unknown>,
  tensors: readonly NamedFloat32Tensor[],
  options: SerializeOptions = {},
): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(configJson));
  writeFileSync(join(dir, 'model.safetensors'), serializeSafetensors(tensors, { format: 'pt' }, options));
}
