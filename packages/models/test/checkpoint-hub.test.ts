import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedFile } from '@flan-ts/test-support';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadCheckpoint as loadInBrowser, type DownloadProgress } from '../src/index';
import { CheckpointError, loadCheckpoint, parseSafetensors, readFloat32 } from '../src/node';
import { startFakeHub, type FakeHub } from './checkpoint-support';
import { sameBits } from './t5-fixtures';

const flanTiny = sharedFile('fixtures/models/flan-t5-tiny');
const t5Tiny = sharedFile('fixtures/models/t5-tiny');
const FLAN_COMMIT = 'a'.repeat(40);
const T5_COMMIT = '0123456789abcdef0123456789abcdef01234567';
const SHARDED_COMMIT = 'b'.repeat(40);

/** Every file under `dir`, relative, sorted. */
function listFiles(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
    )
    .sort();
}

describe.skipIf(!flanTiny || !t5Tiny)('loadCheckpoint from the hub layout (loopback server)', () => {
  const temp = mkdtempSync(join(tmpdir(), 'flan-ckpt-hub-'));
  let hub: FakeHub;
  let cacheDir: string;
  let n = 0;

  beforeAll(async () => {
    // A sharded copy of flan-t5-tiny, as the hub serves large models.
    const sharded = join(temp, 'sharded');
    mkdirSync(sharded);
    const file = parseSafetensors(new Uint8Array(readFileSync(join(flanTiny!, 'model.safetensors'))));
    const { serializeSafetensors } = await import('../src/index');
    const weightMap: Record<string, string> = {};
    const names = [...file.tensors.keys()];
    const halves = [names.slice(0, 20), names.slice(20)];
    halves.forEach((part, i) => {
      const shard = `model-0000${i + 1}-of-00002.safetensors`;
      const tensors = part.map((name) => ({
        name,
        shape: file.tensors.get(name)!.shape,
        data: readFloat32(file, name),
      }));
      writeFileSync(join(sharded, shard), serializeSafetensors(tensors));
      for (const name of part) weightMap[name] = shard;
    });
    writeFileSync(
      join(sharded, 'model.safetensors.index.json'),
      JSON.stringify({ metadata: {}, weight_map: weightMap }),
    );
    copyFileSync(join(flanTiny!, 'config.json'), join(sharded, 'config.json'));
    copyFileSync(join(flanTiny!, 'spiece.model'), join(sharded, 'spiece.model'));

    hub = await startFakeHub({
      'google/flan-t5-tiny': { dir: flanTiny!, commit: FLAN_COMMIT },
      't5-tiny': { dir: t5Tiny!, commit: T5_COMMIT },
      'someone/sharded-t5': { dir: sharded, commit: SHARDED_COMMIT },
      'gated/flan-t5-tiny': { dir: flanTiny!, commit: FLAN_COMMIT, token: 'hf_secret' },
    });
  });
  afterAll(async () => {
    await hub.close();
    rmSync(temp, { recursive: true, force: true });
  });
  beforeEach(() => {
    cacheDir = join(temp, `cache${n++}`);
    hub.requests.length = 0;
    hub.cutAfter.clear();
  });

  it('downloads into the cache in the hub layout, then loads from it with no request', async () => {
    const progress: DownloadProgress[] = [];
    const first = await loadCheckpoint('google/flan-t5-tiny', {
      endpoint: hub.endpoint,
      cacheDir,
      onProgress: (p) => progress.push(p),
    });
    const repoDir = join(cacheDir, 'models--google--flan-t5-tiny');
    const snapshot = join(repoDir, 'snapshots', FLAN_COMMIT);
    expect(listFiles(repoDir)).toEqual([
      '.no_exist/' + FLAN_COMMIT + '/tokenizer.json',
      'refs/main',
      `snapshots/${FLAN_COMMIT}/config.json`,
      `snapshots/${FLAN_COMMIT}/generation_config.json`,
      `snapshots/${FLAN_COMMIT}/model.safetensors`,
      `snapshots/${FLAN_COMMIT}/special_tokens_map.json`,
      `snapshots/${FLAN_COMMIT}/spiece.model`,
      `snapshots/${FLAN_COMMIT}/tokenizer_config.json`,
    ]);
    expect(readFileSync(join(repoDir, 'refs', 'main'), 'utf8')).toBe(FLAN_COMMIT);
    for (const f of ['model.safetensors', 'spiece.model', 'config.json']) {
      expect(readFileSync(join(snapshot, f)).equals(readFileSync(join(flanTiny!, f)))).toBe(true);
    }
    expect(first.files).toEqual({
      config: join(snapshot, 'config.json'),
      generationConfig: join(snapshot, 'generation_config.json'),
      weights: [join(snapshot, 'model.safetensors')],
      tokenizer: {
        spieceModel: join(snapshot, 'spiece.model'),
        tokenizerConfig: join(snapshot, 'tokenizer_config.json'),
        specialTokensMap: join(snapshot, 'special_tokens_map.json'),
      },
    });
    // The first request resolves main; the rest ask for the commit it resolved to.
    expect(hub.requests[0]).toEqual({ method: 'GET', path: '/google/flan-t5-tiny/resolve/main/config.json' });
    expect(hub.requests.slice(1).every((r) => r.path.includes(FLAN_COMMIT))).toBe(true);
    expect(hub.requests.map((r) => r.path)).toContain(
      `/storage/google/flan-t5-tiny/${FLAN_COMMIT}/model.safetensors`,
    );

    // Progress for the weights: from 0 to the full size, never decreasing, total known (x-linked-size).
    const size = readFileSync(join(flanTiny!, 'model.safetensors')).length;
    const weights = progress.filter((p) => p.file === 'model.safetensors');
    expect(weights[0]).toEqual({ file: 'model.safetensors', loaded: 0, total: size });
    expect(weights.at(-1)).toEqual({ file: 'model.safetensors', loaded: size, total: size });
    expect(weights.length).toBeGreaterThan(2);
    expect(weights.every((p, i) => i === 0 || p.loaded >= weights[i - 1]!.loaded)).toBe(true);

    hub.requests.length = 0;
    const second = await loadCheckpoint('google/flan-t5-tiny', { endpoint: hub.endpoint, cacheDir });
    expect(hub.requests).toEqual([]);
    expect(second.files).toEqual(first.files);
    for (const [name, t] of first.tensors)
      expect(sameBits(t.data, second.tensors.get(name)!.data), name).toBe(true);

    // Offline: the cache alone suffices.
    const offline = await loadCheckpoint('google/flan-t5-tiny', {
      endpoint: hub.endpoint,
      cacheDir,
      offline: true,
    });
    expect(offline.tensors.size).toBe(first.tensors.size);
    expect(hub.requests).toEqual([]);
  });

  it('matches the local load bit for bit (tied t5-tiny, legacy repo id without owner)', async () => {
    const viaHub = await loadCheckpoint('t5-tiny', { endpoint: hub.endpoint, cacheDir });
    const local = await loadCheckpoint(t5Tiny!);
    expect(viaHub.config).toEqual(local.config);
    expect([...viaHub.tensors.keys()]).toEqual([...local.tensors.keys()]);
    for (const [name, t] of local.tensors)
      expect(sameBits(t.data, viaHub.tensors.get(name)!.data), name).toBe(true);
    expect(existsSync(join(cacheDir, 'models--t5-tiny', 'snapshots', T5_COMMIT, 'model.safetensors'))).toBe(
      true,
    );
  });

  it('loads a revision given as a commit without resolving a ref', async () => {
    const ckpt = await loadCheckpoint('google/flan-t5-tiny', {
      endpoint: hub.endpoint,
      cacheDir,
      revision: FLAN_COMMIT,
    });
    expect(ckpt.tensors.size).toBeGreaterThan(0);
    expect(existsSync(join(cacheDir, 'models--google--flan-t5-tiny', 'refs'))).toBe(false);
    expect(hub.requests.every((r) => r.path.includes(FLAN_COMMIT))).toBe(true);
  });

  it('loads a sharded checkpoint (model.safetensors 404, then the index and its shards)', async () => {
    const progress: DownloadProgress[] = [];
    const ckpt = await loadCheckpoint('someone/sharded-t5', {
      endpoint: hub.endpoint,
      cacheDir,
      onProgress: (p) => progress.push(p),
    });
    const local = await loadCheckpoint(flanTiny!);
    for (const [name, t] of local.tensors)
      expect(sameBits(t.data, ckpt.tensors.get(name)!.data), name).toBe(true);
    const snapshot = join(cacheDir, 'models--someone--sharded-t5', 'snapshots', SHARDED_COMMIT);
    expect(ckpt.files.weights).toEqual([
      join(snapshot, 'model.safetensors.index.json'),
      join(snapshot, 'model-00001-of-00002.safetensors'),
      join(snapshot, 'model-00002-of-00002.safetensors'),
    ]);
    expect(ckpt.generationConfig).toBeUndefined();
    expect(new Set(progress.map((p) => p.file))).toContain('model-00002-of-00002.safetensors');
    const noExist = listFiles(join(cacheDir, 'models--someone--sharded-t5', '.no_exist'));
    expect(noExist).toContain(`${SHARDED_COMMIT}/model.safetensors`);
    expect(noExist).toContain(`${SHARDED_COMMIT}/generation_config.json`);
    hub.requests.length = 0;
    await loadCheckpoint('someone/sharded-t5', { endpoint: hub.endpoint, cacheDir });
    expect(hub.requests).toEqual([]);
  });

  it('an interrupted download fails clearly and leaves nothing under the real name; a retry succeeds', async () => {
    hub.cutAfter.set('model.safetensors', 100_000);
    const error = await loadCheckpoint('google/flan-t5-tiny', { endpoint: hub.endpoint, cacheDir }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error.message).toMatch(/download (truncated|interrupted)/);
    expect(error.file).toMatch(/model\.safetensors$/);
    const snapshot = join(cacheDir, 'models--google--flan-t5-tiny', 'snapshots', FLAN_COMMIT);
    expect(readdirSync(snapshot).filter((f) => f.startsWith('model.'))).toEqual([]);
    hub.cutAfter.clear();
    const ckpt = await loadCheckpoint('google/flan-t5-tiny', { endpoint: hub.endpoint, cacheDir });
    expect(ckpt.tensors.size).toBeGreaterThan(0);
  });

  it('unknown repos and revisions, and offline cache misses, are CheckpointErrors naming the file', async () => {
    await expect(loadCheckpoint('nobody/nothing', { endpoint: hub.endpoint, cacheDir })).rejects.toThrow(
      `${hub.endpoint}/nobody/nothing/resolve/main/config.json: not found`,
    );
    await expect(
      loadCheckpoint('google/flan-t5-tiny', { endpoint: hub.endpoint, cacheDir, revision: 'v9' }),
    ).rejects.toThrow(/resolve\/v9\/config\.json: not found/);
    await expect(
      loadCheckpoint('google/flan-t5-tiny', { endpoint: hub.endpoint, cacheDir, offline: true }),
    ).rejects.toThrow(/config\.json: not in the cache, and offline is set/);
    await expect(
      loadCheckpoint('google/flan-t5-tiny', { endpoint: 'http://127.0.0.1:1', cacheDir }),
    ).rejects.toThrow(/config\.json: request failed/);
  });

  it('gated repos: a 401 says to pass a token; the token goes to the hub on every request', async () => {
    await expect(loadCheckpoint('gated/flan-t5-tiny', { endpoint: hub.endpoint, cacheDir })).rejects.toThrow(
      /config\.json: HTTP 401 .*pass a token/,
    );
    await expect(loadInBrowser('gated/flan-t5-tiny', { endpoint: hub.endpoint })).rejects.toThrow(/HTTP 401/);
    hub.requests.length = 0;
    const ckpt = await loadCheckpoint('gated/flan-t5-tiny', {
      endpoint: hub.endpoint,
      cacheDir,
      token: 'hf_secret',
    });
    expect(ckpt.tensors.size).toBeGreaterThan(0);
    const resolves = hub.requests.filter((r) => r.path.includes('/resolve/'));
    expect(resolves.length).toBeGreaterThan(3);
    expect(resolves.every((r) => r.authorization === 'Bearer hf_secret')).toBe(true);
    const remote = await loadInBrowser('gated/flan-t5-tiny', { endpoint: hub.endpoint, token: 'hf_secret' });
    expect(remote.tensors.size).toBe(ckpt.tensors.size);
  });

  it('sends the token to the hub but not to the storage host it redirects to', async () => {
    const repos = { 'gated/flan-t5-tiny': { dir: flanTiny!, commit: FLAN_COMMIT, token: 'hf_secret' } };
    const storage = await startFakeHub(repos);
    const front = await startFakeHub(repos, { storageOrigin: storage.endpoint });
    try {
      await loadCheckpoint('gated/flan-t5-tiny', { endpoint: front.endpoint, cacheDir, token: 'hf_secret' });
      expect(storage.requests.map((r) => r.path)).toContain(
        `/storage/gated/flan-t5-tiny/${FLAN_COMMIT}/model.safetensors`,
      );
      expect(storage.requests.every((r) => r.authorization === undefined)).toBe(true);
      expect(front.requests.every((r) => r.authorization === 'Bearer hf_secret')).toBe(true);
    } finally {
      await Promise.all([storage.close(), front.close()]);
    }
  });

  it('two loads racing into an empty cache both succeed and leave complete files', async () => {
    const [a, b] = await Promise.all([
      loadCheckpoint('google/flan-t5-tiny', { endpoint: hub.endpoint, cacheDir }),
      loadCheckpoint('google/flan-t5-tiny', { endpoint: hub.endpoint, cacheDir }),
    ]);
    expect(a.tensors.size).toBe(b.tensors.size);
    const snapshot = join(cacheDir, 'models--google--flan-t5-tiny', 'snapshots', FLAN_COMMIT);
    expect(
      readFileSync(join(snapshot, 'model.safetensors')).equals(
        readFileSync(join(flanTiny!, 'model.safetensors')),
      ),
    ).toBe(true);
    expect(readdirSync(snapshot).some((f) => f.endsWith('.incomplete'))).toBe(false);
  });

  it('uses the injected fetch, and $HF_ENDPOINT when no endpoint is given', async () => {
    const seen: string[] = [];
    const previous = process.env.HF_ENDPOINT;
    process.env.HF_ENDPOINT = hub.endpoint;
    try {
      await loadCheckpoint('google/flan-t5-tiny', {
        cacheDir,
        fetch: (input, init) => {
          seen.push(input);
          return fetch(input, init);
        },
      });
    } finally {
      if (previous === undefined) delete process.env.HF_ENDPOINT;
      else process.env.HF_ENDPOINT = previous;
    }
    expect(seen[0]).toBe(`${hub.endpoint}/google/flan-t5-tiny/resolve/main/config.json`);
    expect(seen.length).toBe(hub.requests.length);
  });

  it('browser entry: loads by repo id and by directory URL over fetch, with no cache', async () => {
    const progress: DownloadProgress[] = [];
    const ckpt = await loadInBrowser('google/flan-t5-tiny', {
      endpoint: hub.endpoint,
      onProgress: (p) => progress.push(p),
    });
    const local = await loadCheckpoint(flanTiny!);
    for (const [name, t] of local.tensors)
      expect(sameBits(t.data, ckpt.tensors.get(name)!.data), name).toBe(true);
    const base = `${hub.endpoint}/google/flan-t5-tiny/resolve/main/`;
    expect(ckpt.files).toEqual({
      config: `${base}config.json`,
      generationConfig: `${base}generation_config.json`,
      weights: [`${base}model.safetensors`],
      tokenizer: {
        spieceModel: `${base}spiece.model`,
        tokenizerConfig: `${base}tokenizer_config.json`,
        specialTokensMap: `${base}special_tokens_map.json`,
      },
    });
    const size = readFileSync(join(flanTiny!, 'model.safetensors')).length;
    expect(progress.at(-1)).toEqual({ file: 'model.safetensors', loaded: size, total: size });
    expect(existsSync(cacheDir)).toBe(false);

    // A directory URL (here the hub's storage URLs are not a directory, so use resolve/<commit>/).
    const byUrl = await loadInBrowser(`${hub.endpoint}/google/flan-t5-tiny/resolve/${FLAN_COMMIT}`);
    expect(byUrl.tensors.size).toBe(local.tensors.size);
    // The Node entry reads URLs the same way (no cache for plain URLs).
    const nodeUrl = await loadCheckpoint(`${base}`);
    expect(nodeUrl.files.config).toBe(`${base}config.json`);
  });

  it('browser entry: a truncated download is an error, not a short tensor', async () => {
    hub.cutAfter.set('model.safetensors', 50_000);
    const error = await loadInBrowser('google/flan-t5-tiny', { endpoint: hub.endpoint }).catch((e) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error.message).toMatch(/download (truncated|interrupted)/);
    await expect(loadInBrowser('/not/a/url')).rejects.toThrow(/neither an http\(s\) URL nor a hub repo id/);
  });
});
