/**
 * `flan eval run`: flag parsing and wiring over `runEvaluation` of `@flan-ts/eval/node` (plan,
 * result cache, `--resume`, `--workers N` processes, results.json / results.md / report.html).
 * Workers are this command started again with `--shard i/n`.
 */
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import type { RunEvaluationOptions } from '@flan-ts/eval/node';
import { backendFlag, integerFlag, numberFlag, threadsOption, type Backend } from '../flags';
import { CliError } from '../io';
import { loadLanguageModel } from '../language-model';
import { evalProgressDisplay } from './eval-progress';

interface RunFlags {
  model: string;
  adapter?: string;
  chatTemplate?: boolean;
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

const list = (text: string) => text.split(',').map((x) => x.trim());

/**
 * The command line of worker `index` of `count`: this command's arguments without `--workers` and
 * `--threads`, with the shard and each worker's share of the threads (`threads / count`, at least
 * one), so that N workers do not each start a pool the size of the machine.
 */
export function workerArguments(
  argv: readonly string[],
  shard: { index: number; count: number },
  threads: number,
): string[] {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--workers' || a === '--threads') i++;
    else if (!a.startsWith('--workers=') && !a.startsWith('--threads=')) args.push(a);
  }
  const share = Math.max(1, Math.floor(threads / shard.count));
  return [...args, '--threads', String(share), '--resume', '--shard', `${shard.index}/${shard.count}`];
}

/** The library's options from the flags; the model is loaded (in each worker) only when needed. */
function runOptions(flags: RunFlags, threads: number): RunEvaluationOptions {
  return {
    data: flags.data,
    benchmarks: list(flags.benchmarks),
    formats: list(flags.formats),
    modes: list(flags.mode),
    ...(flags.tasks !== undefined ? { tasks: list(flags.tasks) } : {}),
    ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
    model: flags.model,
    ...(flags.adapter !== undefined ? { adapter: flags.adapter } : {}),
    out: flags.out,
    resume: flags.resume ?? false,
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
    workers: flags.workers,
    backend: flags.backend,
    ...(flags.chatTemplate ? { chatTemplate: true } : {}),
    load: async () => {
      const loaded = await loadLanguageModel(flags.model, flags.backend, flags.adapter);
      const { EvalError } = await import('@flan-ts/eval');
      const fail = async (message: string, option: string) => {
        await loaded.close();
        throw new EvalError(message, option);
      };
      if (loaded.tokenizer === undefined)
        return fail(loaded.tokenizerProblem ?? 'the checkpoint has no tokenizer', 'model');
      if (loaded.architecture === 't5') {
        if (flags.chatTemplate) return fail('T5 models have no chat template', 'chat-template');
        return { model: loaded.model, tokenizer: loaded.tokenizer, close: () => loaded.close() };
      }
      let chat;
      if (flags.chatTemplate) {
        const { ChatTemplate } = await import('@flan-ts/tokenizer');
        const config = loaded.tokenizer.config;
        if (config?.chatTemplate === undefined)
          return fail(`${flags.model} has no chat_template in tokenizer_config.json`, 'chat-template');
        chat = ChatTemplate.fromConfig(config);
      }
      return {
        model: loaded.model,
        tokenizer: loaded.tokenizer,
        ...(chat ? { chat } : {}),
        close: () => loaded.close(),
      };
    },
    workerCommand: (shard) => ({
      command: process.execPath,
      args: [process.argv[1]!, ...workerArguments(process.argv.slice(2), shard, threads)],
    }),
  };
}

// By name, not instanceof: the package's root and ./node entries are separate bundles with a class each.
function asCliError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  if (error.name === 'DataLineError') return new CliError(error.message);
  if (error.name !== 'EvalError') return error;
  const option = (error as Error & { option?: string }).option;
  return new CliError(option === undefined ? error.message : `--${option}: ${error.message}`);
}

export function registerEvalRun(evalCommand: Command): void {
  threadsOption(evalCommand.command('run'))
    .description(
      'evaluate a model on MMLU, BBH, TyDiQA and MGSM as the paper does; writes results.json, results.md and report.html',
    )
    .requiredOption(
      '--model <dir|hub id|url>',
      'a Hugging Face checkpoint: T5, or decoder-only (Llama, Qwen3)',
    )
    .option(
      '--chat-template',
      "decoder-only models: each prompt as the user's turn of the model's chat template",
    )
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
      'worker processes (each takes every n-th batch, and its share of --threads)',
      integerFlag('--workers', 1),
      availableParallelism(),
    )
    .option('--out <dir>', 'output directory (results and the result cache)', 'eval-out')
    .option('--resume', 'reuse the cached results in --out instead of starting over')
    .option('--backend <name>', 'tfjs backend: wasm, cpu or webgpu', backendFlag, 'wasm' as Backend)
    .option('--shard <i/n>', '(internal) run only every n-th batch, starting at batch i')
    .action(async (flags: RunFlags) => {
      const evalLib = await import('@flan-ts/eval/node');
      // The threads asked for (--threads, FLAN_THREADS or the cores), shared among the workers.
      const { threadStatus } = await import('@flan-ts/models/node');
      const options = runOptions(flags, threadStatus().requested);
      try {
        if (flags.shard !== undefined) {
          await evalLib.runEvaluationShard(options, evalLib.parseShard(flags.shard));
          return;
        }
        const display = evalProgressDisplay();
        let run;
        try {
          run = await evalLib.runEvaluation({ ...options, onProgress: (p) => display.update(p) });
        } finally {
          display.stop();
        }
        const { benchmarks, table5 } = run.results;
        const average = table5.normalized_average;
        process.stdout.write(
          `${benchmarks.map((s) => `${s.benchmark} ${s.format} (${s.mode}): ${s.macro.toFixed(1)}`).join('\n')}\n` +
            `normalized average: ${Number.isNaN(average) ? '–' : average.toFixed(1)}\n` +
            `wrote ${run.files.json} and results.md\n`,
        );
      } catch (error) {
        const userError = asCliError(error);
        // A worker has told its parent (over IPC) why the request is wrong; the parent prints it once.
        if (flags.shard !== undefined && process.send !== undefined && userError instanceof CliError)
          process.exit(1);
        throw userError;
      }
    });
}
