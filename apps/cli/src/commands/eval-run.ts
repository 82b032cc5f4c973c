/**
 * `flan eval run`: evaluates a model on the benchmarks of a data directory as the paper does, with
 * a per-example result cache (JSONL, keyed by benchmark, format, example id, model fingerprint and
 * generation settings) so `--resume` recomputes nothing finished, and `--workers N` processes that
 * each take every N-th batch (batches are planned the same way in every process, so the numbers do
 * not depend on N). Writes `results.json` and `results.md` (Table 5 layout) to `--out`.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { appendFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { ExampleResult, PromptRecord, RunSettings, BenchmarkName } from '@flan-ts/eval';
import { backendFlag, integerFlag, numberFlag, type Backend } from '../flags';
import { CliError } from '../io';
import { withSeq2Seq } from '../seq2seq';

interface RunFlags {
  model: string;
  adapter?: string;
  data: string;
  benchmarks: string;
  tasks?: string;
  formats: string;
  mode: string;
  selfConsistency?: number;
  temperature: number;
  topK: number;
  seed: number;
  limit?: number;
  maxNewTokens?: number;
  maxInputTokens: number;
  batchSize: number;
  workers: number;
  out: string;
  resume?: boolean;
  backend: Backend;
  shard?: string;
}

/** One benchmark × format × mode with its prompts. */
interface Unit {
  benchmark: BenchmarkName;
  format: string;
  mode: 'generate' | 'rank';
  prompts: PromptRecord[];
}

/** `direct` / `cot` as the issue names them, or a benchmark's own format names. */
function formatsFor(benchmark: BenchmarkName, requested: string[], known: readonly string[]): string[] {
  const out = new Set<string>();
  for (const f of requested) {
    if (known.includes(f)) out.add(f);
    else if (f === 'direct' && benchmark === 'tydiqa') out.add('direct_1shot');
    else if (f === 'cot' && benchmark === 'mgsm') out.add('native_cot');
  }
  return [...out];
}

async function planUnits(flags: RunFlags): Promise<Unit[]> {
  const evalLib = await import('@flan-ts/eval/node');
  const benchmarks = flags.benchmarks.split(',').map((b) => evalLib.checkBenchmark(b.trim()));
  const requested = flags.formats.split(',').map((f) => f.trim());
  const allFormats = new Set(['direct', 'cot', ...Object.values(evalLib.BENCHMARK_FORMATS).flat()]);
  for (const f of requested) if (!allFormats.has(f)) throw new CliError(`--formats: unknown format "${f}"`);
  const modes = flags.mode.split(',').map((m) => m.trim());
  for (const m of modes)
    if (m !== 'generate' && m !== 'rank')
      throw new CliError(`--mode must be generate, rank or both, got "${m}"`);
  const wanted = flags.tasks?.split(',').map((t) => t.trim());
  const taskLists = new Map<BenchmarkName, string[]>();
  for (const benchmark of benchmarks) {
    const all = await evalLib.listTasks(flags.data, benchmark);
    taskLists.set(benchmark, wanted === undefined ? all : all.filter((t) => wanted.includes(t)));
  }
  for (const t of wanted ?? [])
    if (![...taskLists.values()].some((ts) => ts.includes(t)))
      throw new CliError(`--tasks: "${t}" is not a task of ${benchmarks.join(', ')} in ${flags.data}`);
  const units: Unit[] = [];
  for (const benchmark of benchmarks)
    for (const format of formatsFor(benchmark, requested, evalLib.BENCHMARK_FORMATS[benchmark])) {
      const prompts: PromptRecord[] = [];
      for (const task of taskLists.get(benchmark)!)
        prompts.push(...(await evalLib.loadTaskPrompts(flags.data, benchmark, format, task, flags.limit)));
      if (prompts.length === 0) continue;
      for (const mode of modes as ('generate' | 'rank')[]) {
        // Rank classification needs options: MMLU's direct formats; elsewhere generation answers.
        if (mode === 'rank' && !evalLib.rankable(benchmark, format)) {
          if (!modes.includes('generate')) units.push({ benchmark, format, mode: 'generate', prompts });
          continue;
        }
        units.push({ benchmark, format, mode, prompts });
      }
    }
  return units;
}

/** A model is identified by its files' contents (local directory) or by its hub id / URL. */
function fingerprint(model: string, adapter: string | undefined): string {
  const hash = createHash('sha256');
  const addDir = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (!statSync(path).isFile() || !/\.(json|safetensors|model)$/.test(name)) continue;
      hash.update(name).update(readFileSync(path));
    }
  };
  if (existsSync(model) && statSync(model).isDirectory()) addDir(model);
  else hash.update(`source:${model}`);
  if (adapter !== undefined) {
    hash.update('adapter');
    addDir(adapter);
  }
  return hash.digest('hex').slice(0, 16);
}

const cacheName = (shard: number | undefined) =>
  shard === undefined ? 'cache.jsonl' : `cache.shard-${shard}.jsonl`;

async function readCaches(out: string): Promise<Map<string, ExampleResult>> {
  const results = new Map<string, ExampleResult>();
  if (!existsSync(out)) return results;
  for (const name of (await readdir(out)).filter((n) => /^cache(\.shard-\d+)?\.jsonl$/.test(n)).sort()) {
    const text = await readFile(join(out, name), 'utf8');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        const r = JSON.parse(line) as ExampleResult;
        results.set(r.key, r);
      } catch {
        // A run killed mid-write leaves a partial last line: that example is simply recomputed.
      }
    }
  }
  return results;
}

function runSettings(flags: RunFlags, mode: 'generate' | 'rank'): RunSettings {
  return {
    mode,
    ...(flags.maxNewTokens !== undefined ? { maxNewTokens: flags.maxNewTokens } : {}),
    maxInputTokens: flags.maxInputTokens,
    batchSize: flags.batchSize,
    ...(flags.selfConsistency !== undefined
      ? {
          selfConsistency: {
            k: flags.selfConsistency,
            temperature: flags.temperature,
            topK: flags.topK,
            seed: flags.seed,
          },
        }
      : {}),
  };
}

/** Computes the missing results (all batches, or every N-th for a shard) and appends them to the cache. */
async function compute(
  flags: RunFlags,
  units: Unit[],
  modelId: string,
  shard?: { index: number; count: number },
) {
  const evalLib = await import('@flan-ts/eval');
  const cached = await readCaches(flags.out);
  const cachePath = join(flags.out, cacheName(shard?.index));
  const todo = units.map((u) => ({
    u,
    keys: u.prompts.map((p) =>
      evalLib.resultKey(u.benchmark, u.format, p.example_id, modelId, runSettings(flags, u.mode)),
    ),
  }));
  if (todo.every(({ keys }) => keys.every((k) => cached.has(k)))) return;
  // A run killed mid-write leaves a partial last line; new results start on a line of their own.
  if (existsSync(cachePath) && !(await readFile(cachePath, 'utf8')).endsWith('\n'))
    await appendFile(cachePath, '\n');
  await withSeq2Seq(flags, async (loaded) => {
    const { tokenizer, model } = loaded;
    if (tokenizer === undefined) throw new CliError(`--model: ${loaded.tokenizerProblem}`);
    let batchIndex = 0;
    for (const { u, keys } of todo) {
      const settings = runSettings(flags, u.mode);
      const encoded = u.prompts.map((p, i) =>
        evalLib.encodePrompt(p, keys[i]!, tokenizer, settings.maxInputTokens),
      );
      const batches = evalLib.planBatches(encoded, settings.batchSize);
      let done = 0;
      for (const batch of batches) {
        const mine = shard === undefined || batchIndex % shard.count === shard.index;
        batchIndex += 1;
        const missing = batch.filter((p) => !cached.has(p.key));
        if (mine && missing.length > 0) {
          const results = await evalLib.evaluateBatch(model, tokenizer, missing, settings);
          await appendFile(cachePath, results.map((r) => JSON.stringify(r) + '\n').join(''));
        }
        done += batch.length;
        if (process.stderr.isTTY)
          process.stderr.write(`\r${u.benchmark} ${u.format} (${u.mode}): ${done}/${encoded.length}   `);
      }
      if (process.stderr.isTTY) process.stderr.write('\n');
    }
  });
}

/** Runs `--workers` copies of this command, each on its shard of the batches. */
async function runWorkers(flags: RunFlags, argv: string[]): Promise<void> {
  const args = argv.slice(2).filter((a, i, all) => a !== '--workers' && all[i - 1] !== '--workers');
  const children = Array.from(
    { length: flags.workers },
    (_, i) =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [argv[1]!, ...args, '--resume', '--shard', `${i}/${flags.workers}`],
          {
            stdio: ['ignore', 'ignore', 'inherit'],
          },
        );
        child.on('error', reject);
        child.on('close', (code) =>
          code === 0 ? resolve() : reject(new CliError(`worker ${i} exited with ${code}`)),
        );
      }),
  );
  await Promise.all(children);
}

async function report(flags: RunFlags, units: Unit[], modelId: string, started: number): Promise<void> {
  const evalLib = await import('@flan-ts/eval/node');
  const cached = await readCaches(flags.out);
  const results: ExampleResult[] = [];
  for (const u of units)
    for (const p of u.prompts) {
      const key = evalLib.resultKey(u.benchmark, u.format, p.example_id, modelId, runSettings(flags, u.mode));
      const r = cached.get(key);
      if (r === undefined) throw new CliError(`no result for ${u.benchmark} ${u.format} ${p.example_id}`);
      results.push(r);
    }
  const scores = evalLib.aggregate(results);
  const mmluSplit = evalLib.mmluEvalSplit(flags.data);
  const t5 = evalLib.table5(scores);
  const json = {
    model: { source: flags.model, adapter: flags.adapter ?? null, fingerprint: modelId },
    data: { dir: flags.data, mmlu_split: mmluSplit, limit_per_task: flags.limit ?? null },
    settings: {
      mode: flags.mode,
      batch_size: flags.batchSize,
      max_new_tokens: flags.maxNewTokens ?? 'per format',
      max_input_tokens: flags.maxInputTokens,
      self_consistency: flags.selfConsistency ?? null,
      temperature: flags.selfConsistency ? flags.temperature : null,
      top_k: flags.selfConsistency ? flags.topK : null,
      backend: flags.backend,
      workers: flags.workers,
    },
    table5: t5,
    benchmarks: scores,
    truncated: results.filter((r) => r.truncated).length,
    timings: { wall_s: (Date.now() - started) / 1000, examples: results.length },
  };
  await writeFile(join(flags.out, 'results.json'), JSON.stringify(json, null, 2) + '\n');
  await writeFile(
    join(flags.out, 'results.md'),
    evalLib.resultsMarkdown({ model: flags.model, scores, mmluSplit }) + '\n',
  );
  process.stdout.write(
    `${scores.map((s) => `${s.benchmark} ${s.format} (${s.mode}): ${s.macro.toFixed(1)}`).join('\n')}\n` +
      `normalized average: ${Number.isNaN(t5.normalized_average) ? '–' : t5.normalized_average.toFixed(1)}\n` +
      `wrote ${join(flags.out, 'results.json')} and results.md\n`,
  );
}

export function registerEvalRun(evalCommand: Command): void {
  evalCommand
    .command('run')
    .description(
      'evaluate a model on MMLU, BBH, TyDiQA and MGSM as the paper does; writes results.json and results.md',
    )
    .requiredOption('--model <dir|hub id|url>', 'Hugging Face T5 checkpoint')
    .option('--adapter <dir>', 'a LoRA adapter in PEFT layout')
    .requiredOption('--data <dir>', 'benchmark data directory')
    .option('--benchmarks <list>', 'comma-separated: mmlu, bbh, tydiqa, mgsm', 'mmlu,bbh,tydiqa,mgsm')
    .option('--tasks <list>', 'only these tasks (MMLU subjects, BBH files, languages), comma-separated')
    .option('--formats <list>', 'direct, cot (or a benchmark format such as direct_hendrycks)', 'direct,cot')
    .option('--mode <mode>', 'generate, rank (MMLU direct: score each option), or generate,rank', 'generate')
    .option(
      '--self-consistency <k>',
      'k sampled CoT outputs per example, majority vote',
      integerFlag('--self-consistency', 1),
    )
    .option('--temperature <t>', 'self-consistency sampling temperature', numberFlag('--temperature'), 0.7)
    .option('--top-k <k>', 'self-consistency top-k (0: all)', integerFlag('--top-k', 0), 40)
    .option('--seed <s>', 'self-consistency sampling seed', integerFlag('--seed', 0), 0)
    .option('--limit <n>', 'at most n examples per task', integerFlag('--limit', 1))
    .option(
      '--max-new-tokens <n>',
      'most new tokens (default: 256 for CoT, 8 MMLU direct, 32 otherwise)',
      integerFlag('--max-new-tokens', 1),
    )
    .option(
      '--max-input-tokens <n>',
      'longer prompts are truncated from the left (counted)',
      integerFlag('--max-input-tokens', 16),
      2048,
    )
    .option('--batch-size <n>', 'prompts per batch (grouped by length)', integerFlag('--batch-size', 1), 8)
    .option(
      '--workers <n>',
      'worker processes (each takes every n-th batch)',
      integerFlag('--workers', 1),
      availableParallelism(),
    )
    .option('--out <dir>', 'output directory (results and the result cache)', 'eval-out')
    .option('--resume', 'reuse the cached results in --out instead of starting over')
    .option('--backend <name>', 'tfjs backend: wasm, cpu or webgpu', backendFlag, 'wasm' as Backend)
    .option('--shard <i/n>', '(internal) run only every n-th batch, starting at batch i')
    .action(async (flags: RunFlags) => {
      const started = Date.now();
      let units: Unit[];
      try {
        // Every prompt is built (and every data file checked) before any model time is spent.
        units = await planUnits(flags);
      } catch (error) {
        if (error instanceof Error && (error.name === 'EvalError' || error.name === 'DataLineError'))
          throw new CliError(error.message);
        throw error;
      }
      if (!existsSync(flags.model)) {
        if (/^[./]/.test(flags.model)) throw new CliError(`--model: no such directory ${flags.model}`);
      }
      const modelId = fingerprint(flags.model, flags.adapter);
      await mkdir(flags.out, { recursive: true });
      if (flags.shard !== undefined) {
        const [index, count] = flags.shard.split('/').map(Number) as [number, number];
        await compute(flags, units, modelId, { index, count });
        return;
      }
      if (!flags.resume)
        for (const name of (await readdir(flags.out)).filter((n) => /^cache(\.shard-\d+)?\.jsonl$/.test(n)))
          await rm(join(flags.out, name));
      if (flags.workers > 1) await runWorkers(flags, process.argv);
      else await compute(flags, units, modelId);
      await report(flags, units, modelId, started);
    });
}
