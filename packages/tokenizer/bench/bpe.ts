/**
 * Qwen3 byte-level BPE encode throughput on the MGSM questions of all 11 languages (repeated to
 * BENCH_MB), against @huggingface/tokenizers (transformers.js), the npm `tokenizers` (Rust, native)
 * and gpt-tokenizer (o200k, its own encoding: a peer, not the same vocabulary). Also load time and
 * heap growth of one loaded Qwen3 tokenizer. Throughput and ratios are measured in process CPU time
 * (the machine is shared; CPU time is the cost of the work itself; the native engine's worker threads
 * count too), wall time beside it. Run: `node --expose-gc --import tsx bench/bpe.ts`.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { cpuUsage } from 'node:process';
import { Tokenizer as TransformersTokenizer } from '@huggingface/tokenizers';
import { encode as o200kEncode } from 'gpt-tokenizer/encoding/o200k_base';
import { sharedFile } from '@flan-ts/test-support';
import { HfTokenizer } from '../src/index';

const require = createRequire(import.meta.url);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TARGET_BYTES = Number(process.env.BENCH_MB ?? 2) * 1e6;

const jsonPath = sharedFile('fixtures/tokenizers/qwen3/tokenizer.json')!;
const configPath = sharedFile('fixtures/tokenizers/qwen3/tokenizer_config.json')!;
const dir = sharedFile('data/mgsm')!;
const questions: string[] = [];
for (const name of readdirSync(dir)
  .filter((f) => f.endsWith('.jsonl'))
  .sort())
  for (const line of readFileSync(join(dir, name), 'utf8').split('\n'))
    if (line.trim() !== '') questions.push((JSON.parse(line) as { question: string }).question);
const texts: string[] = [];
let bytes = 0;
while (bytes < TARGET_BYTES)
  for (const q of questions) {
    texts.push(q);
    bytes += Buffer.byteLength(q);
  }

const cpu = (): number => {
  const u = cpuUsage();
  return (u.user + u.system) / 1e6;
};

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;
const qwen3Text = readFileSync(jsonPath, 'utf8');
// Load time: parsing tokenizer.json and building the tokenizer from the text in memory, median of 5.
const loads: { wall: number; cpu: number; parse: number }[] = [];
for (let i = 0; i < 5; i++) {
  const wall0 = performance.now();
  const cpu0 = cpu();
  HfTokenizer.fromJson(qwen3Text);
  const wall = performance.now() - wall0;
  const cpuMs = (cpu() - cpu0) * 1000;
  const parse0 = performance.now();
  JSON.parse(qwen3Text);
  loads.push({ wall, cpu: cpuMs, parse: performance.now() - parse0 });
}
const loadMs = median(loads.map((l) => l.wall));
const loadCpuMs = median(loads.map((l) => l.cpu));
const parseMs = median(loads.map((l) => l.parse));
// Memory: JS heap plus typed-array backing stores (the merge table lives in those), after a full GC.
const memory = (): number => {
  global.gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};
const memoryBefore = memory();
const ours = HfTokenizer.fromJson(qwen3Text);
const loadedMb = (memory() - memoryBefore) / 2 ** 20;
for (const text of texts) ours.encode(text);
const withCachesMb = (memory() - memoryBefore) / 2 ** 20;

let t = performance.now();
const transformers = new TransformersTokenizer(
  JSON.parse(readFileSync(jsonPath, 'utf8')),
  JSON.parse(readFileSync(configPath, 'utf8')),
);
const transformersLoadMs = performance.now() - t;
const Rust = (
  require('tokenizers') as {
    Tokenizer: { fromFile(p: string): { encodeBatch(t: string[]): Promise<{ getIds(): number[] }[]> } };
  }
).Tokenizer;
t = performance.now();
const rust = Rust.fromFile(jsonPath);
const rustLoadMs = performance.now() - t;

const engines: [string, () => Promise<number>][] = [
  ['@flan-ts/tokenizer (Qwen3)', async () => texts.reduce((n, s) => n + ours.encode(s).ids.length, 0)],
  [
    '@huggingface/tokenizers (Qwen3)',
    async () => texts.reduce((n, s) => n + transformers.encode(s).ids.length, 0),
  ],
  [
    'tokenizers, Rust native (Qwen3, encodeBatch)',
    async () => (await rust.encodeBatch(texts)).reduce((n, e) => n + e.getIds().length, 0),
  ],
  ['gpt-tokenizer (o200k_base)', async () => texts.reduce((n, s) => n + o200kEncode(s).length, 0)],
];

const results = new Map<string, { seconds: number[]; cpu: number[]; tokens: number }>();
for (let run = 0; run < RUNS; run++) {
  for (const [name, fn] of engines) {
    const wall0 = performance.now();
    const cpu0 = cpu();
    const tokens = await fn();
    const r = results.get(name) ?? { seconds: [], cpu: [], tokens };
    r.seconds.push((performance.now() - wall0) / 1000);
    r.cpu.push(cpu() - cpu0);
    results.set(name, r);
  }
}
const oursCpu = median(results.get(engines[0]![0])!.cpu);
console.log(
  `Qwen3 encode, ${texts.length} MGSM questions, ${(bytes / 1e6).toFixed(2)} MB, median of ${RUNS} interleaved rounds, process CPU time (wall beside), Node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log('| engine | MB/s (CPU) | tokens/s (CPU) | MB/s (wall) | ours vs it (CPU) | tokens |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const [name, r] of results) {
  const c = median(r.cpu);
  const w = median(r.seconds);
  console.log(
    `| ${name} | ${(bytes / 1e6 / c).toFixed(2)} | ${Math.round(r.tokens / c).toLocaleString('en')} | ${(bytes / 1e6 / w).toFixed(2)} | ${(c / oursCpu).toFixed(2)}x | ${r.tokens.toLocaleString('en')} |`,
  );
}
console.log(
  `load (tokenizer.json text → tokenizer, median of 5): ours ${loadMs.toFixed(0)} ms wall / ${loadCpuMs.toFixed(0)} ms CPU, of which JSON.parse ${parseMs.toFixed(0)} ms; memory +${loadedMb.toFixed(0)} MB loaded, +${withCachesMb.toFixed(0)} MB once the corpus has filled its piece cache. @huggingface/tokenizers ${transformersLoadMs.toFixed(0)} ms, tokenizers (Rust) fromFile ${rustLoadMs.toFixed(0)} ms (one load each)`,
);
