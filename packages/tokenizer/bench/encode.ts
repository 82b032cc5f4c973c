/**
 * Encode throughput of @flan-ts/tokenizer against its peers, on the MGSM questions of all 11
 * languages repeated to a few MB: the TypeScript encoder (the built package, as users get it),
 * sentencepiece-js and @sctg/sentencepiece-js (the official C++ in WASM), and on the legal-T5 pair
 * the same encoder from tokenizer.json and @huggingface/tokenizers.
 *
 * Run: `npm run bench` in packages/tokenizer (builds first). Prints a markdown table; each figure is
 * the median of several passes (process CPU time) after one warm-up pass, all engines in one process.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { SentencePieceProcessor as SctgProcessor } from '@sctg/sentencepiece-js';
import { sharedFile } from '@flan-ts/test-support';
// Bundled from the package's `dist` (esbuild uses the `import` condition), as a user gets it.
import { Tokenizer } from '@flan-ts/tokenizer';

const require = createRequire(import.meta.url);
const { SentencePieceProcessor: SpjsProcessor } = require('sentencepiece-js') as {
  SentencePieceProcessor: new () => { load(path: string): Promise<void>; encodeIds(text: string): number[] };
};

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TARGET_BYTES = Number(process.env.BENCH_MB ?? 4) * 1e6;

function need(path: string): string {
  const found = sharedFile(path);
  if (!found) throw new Error(`benchmark needs ../shared/${path}`);
  return found;
}

function mgsmQuestions(): string[] {
  const dir = need('data/mgsm');
  const questions: string[] = [];
  for (const name of readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()) {
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (line.trim() !== '') questions.push((JSON.parse(line) as { question: string }).question);
    }
  }
  return questions;
}

interface Row {
  engine: string;
  model: string;
  mbPerS: number;
  tokensPerS: number;
  tokens: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Engine {
  engine: string;
  model: string;
  encode: (text: string) => ArrayLike<number>;
}

/**
 * Times every engine once per round, rounds interleaved, so a shared machine's load shifts affect all
 * engines alike; reports each engine's median round.
 */
function measureAll(engines: Engine[], lines: string[], bytes: number): Row[] {
  const tokens = engines.map((e) => lines.reduce((n, line) => n + e.encode(line).length, 0)); // warm-up
  const seconds: number[][] = engines.map(() => []);
  for (let r = 0; r < RUNS; r++) {
    engines.forEach((e, i) => {
      // CPU time of this process rather than wall time: on a shared, loaded machine it is the cost of
      // the work itself, not of waiting for a core.
      const start = process.cpuUsage();
      for (const line of lines) e.encode(line);
      const used = process.cpuUsage(start);
      seconds[i]!.push((used.user + used.system) / 1e6);
    });
  }
  return engines.map((e, i) => {
    const s = median(seconds[i]!);
    return {
      engine: e.engine,
      model: e.model,
      mbPerS: bytes / 1e6 / s,
      tokensPerS: tokens[i]! / s,
      tokens: tokens[i]!,
    };
  });
}

async function main(): Promise<void> {
  const questions = mgsmQuestions();
  const lines: string[] = [];
  let bytes = 0;
  while (bytes < TARGET_BYTES) {
    for (const q of questions) {
      lines.push(q);
      bytes += new TextEncoder().encode(q).length;
    }
  }

  const t5Model = need('fixtures/tokenizers/t5_spiece.model');
  const legalModel = need('fixtures/tokenizers/legal_t5_spiece.model');
  const legalJson = need('fixtures/tokenizers/legal_t5_tokenizer.json');

  const ours = Tokenizer.fromBytes(readFileSync(t5Model));
  const spjs = new SpjsProcessor();
  await spjs.load(t5Model);
  const sctg = new SctgProcessor();
  await sctg.loadFromB64StringModel(readFileSync(t5Model).toString('base64'));
  const oursLegal = Tokenizer.fromBytes(readFileSync(legalModel));
  const oursJson = Tokenizer.fromBytes(readFileSync(legalJson));
  const hfJson = JSON.parse(readFileSync(legalJson, 'utf8')) as Record<string, unknown>;
  // The file truncates at 128 tokens; the comparison needs whole encodings.
  hfJson.truncation = null;
  const hf = new HfTokenizer(hfJson, {});

  const rows = measureAll(
    [
      {
        engine: '@flan-ts/tokenizer',
        model: 't5_spiece.model',
        encode: (t) => ours.encode(t, { addSpecialTokens: false }).ids,
      },
      {
        engine: '@flan-ts/tokenizer, T5 mode (special tokens, `</s>`)',
        model: 't5_spiece.model',
        encode: (t) => ours.encode(t).ids,
      },
      { engine: 'sentencepiece-js (C++ → WASM)', model: 't5_spiece.model', encode: (t) => spjs.encodeIds(t) },
      {
        engine: '@sctg/sentencepiece-js (C++ → WASM)',
        model: 't5_spiece.model',
        encode: (t) => sctg.encodeIds(t),
      },
      {
        engine: '@flan-ts/tokenizer',
        model: 'legal_t5_spiece.model',
        encode: (t) => oursLegal.encode(t, { addSpecialTokens: false }).ids,
      },
      {
        engine: '@flan-ts/tokenizer',
        model: 'legal_t5_tokenizer.json',
        encode: (t) => oursJson.encode(t, { addSpecialTokens: false }).ids,
      },
      {
        engine: '@huggingface/tokenizers',
        model: 'legal_t5_tokenizer.json',
        encode: (t) => hf.encode(t, { add_special_tokens: false }).ids,
      },
    ],
    lines,
    bytes,
  );

  const baseline = rows.find((r) => r.engine.startsWith('sentencepiece-js'))!.mbPerS;
  console.log(
    `Encode throughput: ${lines.length} MGSM questions (11 languages), ${(bytes / 1e6).toFixed(2)} MB UTF-8, median of ${RUNS} interleaved runs, CPU time of one thread, Node ${process.version}\n`,
  );
  console.log('| engine | tokenizer file | MB/s | tokens/s | vs sentencepiece-js | tokens |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(
      `| ${r.engine} | ${r.model} | ${r.mbPerS.toFixed(2)} | ${Math.round(r.tokensPerS).toLocaleString('en-US')} | ${(r.mbPerS / baseline).toFixed(2)}x | ${r.tokens.toLocaleString('en-US')} |`,
    );
  }
}

await main();
