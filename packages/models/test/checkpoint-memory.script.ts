/**
 * Peak memory while loading a checkpoint of flan-t5-small's shapes (random weights, ~308 MB of
 * float32), measured in a fresh process per loading path. A script, not a test: run it with
 *
 *   cd packages/models && npx tsx test/checkpoint-memory.script.ts
 *
 * and it prints a markdown table. "Peak − baseline" is what loading cost on top of the process as
 * it was before; one copy of the weights is the floor.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint as loadRemote } from '../src/checkpoint/load-remote';
import { expectedT5Tensors } from '../src/t5/parameters';
import { loadCheckpoint } from '../src/checkpoint/node/load';
import { saveCheckpoint } from '../src/checkpoint/node/save';
import { parseT5Config } from '../src/t5/config';
import { startFakeHub } from './checkpoint-support';

const FLAN_T5_SMALL = {
  architectures: ['T5ForConditionalGeneration'],
  model_type: 't5',
  vocab_size: 32128,
  d_model: 512,
  d_kv: 64,
  d_ff: 1024,
  num_heads: 6,
  num_layers: 8,
  num_decoder_layers: 8,
  feed_forward_proj: 'gated-gelu',
  tie_word_embeddings: false,
};

const MB = 1024 * 1024;
const mb = (bytes: number) => (bytes / MB).toFixed(0);

async function generate(dir: string) {
  const config = parseT5Config(FLAN_T5_SMALL);
  const tensors = expectedT5Tensors(config).map(({ name, shape }) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = Math.random() - 0.5;
    return { name, shape, data };
  });
  await saveCheckpoint(dir, { config, tensors });
}

/** In the child: load, then report RSS before and the peak (maxRSS) after. */
async function measure(mode: string, source: string, endpoint?: string) {
  const baseline = process.memoryUsage().rss;
  const started = performance.now();
  const ckpt =
    mode === 'browser'
      ? await loadRemote(source, { endpoint })
      : await loadCheckpoint(
          source,
          mode === 'hub' ? { endpoint, cacheDir: join(tmpdir(), `flan-mem-cache-${process.pid}`) } : {},
        );
  const seconds = (performance.now() - started) / 1000;
  const peak = process.resourceUsage().maxRSS * 1024;
  const weights = [...ckpt.tensors.values()].reduce((n, t) => n + t.data.byteLength, 0);
  if (mode === 'hub')
    rmSync(join(tmpdir(), `flan-mem-cache-${process.pid}`), { recursive: true, force: true });
  process.stdout.write(JSON.stringify({ baseline, peak, weights, seconds }));
}

async function main() {
  const [, , role, mode, source, endpoint] = process.argv;
  if (role === 'child') return measure(mode!, source!, endpoint);

  const temp = mkdtempSync(join(tmpdir(), 'flan-mem-'));
  const dir = join(temp, 'flan-t5-small-random');
  try {
    await generate(dir);
    const fileBytes = statSync(join(dir, 'model.safetensors')).size;
    const hub = await startFakeHub({ 'bench/flan-t5-small-random': { dir, commit: 'd'.repeat(40) } });
    const self = fileURLToPath(import.meta.url);
    const rows: string[] = [];
    const runs: [string, string, string, string[]][] = [
      ['local directory (positional reads)', 'local', dir, []],
      ['hub id, Node cache (stream to disk, then read)', 'hub', 'bench/flan-t5-small-random', [hub.endpoint]],
      [
        'hub id, browser entry (fetch into one buffer)',
        'browser',
        'bench/flan-t5-small-random',
        [hub.endpoint],
      ],
    ];
    for (const [label, mode, source, extra] of runs) {
      // The child runs async while the parent's server answers: execFileSync would block the server.
      const out = await new Promise<string>((resolve, reject) => {
        execFile(
          process.execPath,
          [...process.execArgv, self, 'child', mode, source, ...extra],
          { maxBuffer: 1 << 20 },
          (error, stdout) => (error ? reject(error) : resolve(stdout)),
        );
      });
      const r = JSON.parse(out) as { baseline: number; peak: number; weights: number; seconds: number };
      rows.push(
        `| ${label} | ${mb(r.weights)} | ${mb(r.baseline)} | ${mb(r.peak)} | ${mb(r.peak - r.baseline)} | ${((r.peak - r.baseline) / r.weights).toFixed(2)} | ${r.seconds.toFixed(2)} |`,
      );
    }
    await hub.close();
    console.log(
      `flan-t5-small shapes, random weights: model.safetensors ${mb(fileBytes)} MiB, node ${process.version}\n`,
    );
    console.log(
      '| path | weights loaded (MiB) | RSS before (MiB) | peak RSS (MiB) | peak − before (MiB) | ÷ weights | seconds |',
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const row of rows) console.log(row);
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

await main();
