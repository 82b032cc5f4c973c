/**
 * Qwen3 byte-level BPE encode throughput on the MGSM questions of all 11 languages (repeated to
 * BENCH_MB), against @huggingface/tokenizers (transformers.js), the npm `tokenizers` (Rust, native)
 * and gpt-tokenizer (o200k, its own encoding: a peer, not the same vocabulary). Also load time and
 * heap growth of one loaded Qwen3 tokenizer. Run: `npx tsx bench/bpe.ts`.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
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

global.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
let t = performance.now();
const ours = HfTokenizer.fromJson(readFileSync(jsonPath, 'utf8'));
const loadMs = performance.now() - t;
global.gc?.();
const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;

t = performance.now();
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
const rust = Rust.fromFile(jsonPath);

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
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;
const oursS = median(results.get(engines[0]![0])!.seconds);
console.log(
  `Qwen3 encode, ${texts.length} MGSM questions, ${(bytes / 1e6).toFixed(2)} MB, median of ${RUNS}, wall time, Node ${process.version}`,
);
console.log('| engine | MB/s | tokens/s | ours vs it | tokens |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const [name, r] of results) {
  const s = median(r.seconds);
  console.log(
    `| ${name} | ${(bytes / 1e6 / s).toFixed(2)} | ${Math.round(r.tokens / s).toLocaleString('en')} | ${(s / oursS).toFixed(2)}x | ${r.tokens.toLocaleString('en')} |`,
  );
}
console.log(
  `load: ours ${loadMs.toFixed(0)} ms (heap +${heapMb.toFixed(0)} MB), @huggingface/tokenizers ${transformersLoadMs.toFixed(0)} ms`,
);
