/**
 * `flan eval`: the paper's evaluation protocol from the shell, thin wiring over @flan-ts/eval.
 * `prompts` renders benchmark prompts, `extract` and `vote` score model outputs, `normalize` and
 * `chance` compute the normalized average and the BBH chance levels (`run` evaluates a model).
 */
import type { Command } from 'commander';
import { integerFlag } from '../flags';
import { registerEvalRun } from './eval-run';
import {
  CliError,
  field,
  InvalidLineError,
  lineInputOptions,
  parseJsonObject,
  runLines,
  writeOut,
} from '../io';

// Escaped like io.ts's jsonLine: one record stays one physical line for every reader.
const LINE_BREAKING = /[\u0085\u2028\u2029\ufeff]/g;

/**
 * A JSONL line in which Maps are written as objects in insertion order: vote counts are keyed by
 * answers such as "21" and "18", which a plain object would reorder (integer keys sort first).
 */
export function orderedJsonLine(value: unknown): string {
  const write = (v: unknown): string => {
    if (v instanceof Map)
      return `{${[...v].map(([k, x]) => `${JSON.stringify(String(k))}:${write(x)}`).join(',')}}`;
    if (Array.isArray(v)) return `[${v.map(write).join(',')}]`;
    if (v !== null && typeof v === 'object')
      return `{${Object.entries(v)
        .filter(([, x]) => x !== undefined)
        .map(([k, x]) => `${JSON.stringify(k)}:${write(x)}`)
        .join(',')}}`;
    return JSON.stringify(v);
  };
  return write(value).replace(LINE_BREAKING, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// By name, not instanceof: the package's root and ./node entries are separate bundles with a class each.
const isEvalError = (error: unknown): error is Error =>
  error instanceof Error && (error.name === 'EvalError' || error.name === 'DataLineError');

/** Runs library code that may reject the request (unknown names, bad data) as a one-line CLI error. */
async function userErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isEvalError(error)) throw new CliError(error.message);
    throw error;
  }
}

/** A line's own mistakes (unknown benchmark, wrong target type) become errors naming its line. */
function lineErrors<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (isEvalError(error)) throw new InvalidLineError(error.message);
    throw error;
  }
}

function scoringFields(record: Record<string, unknown>) {
  if (!('target' in record)) throw new InvalidLineError('missing field "target"');
  return {
    benchmark: field<string>(record, 'benchmark', 'string'),
    format: field<string>(record, 'format', 'string'),
    task: field<string>(record, 'task', 'string'),
    target: record.target as string | number | string[],
  };
}

interface LineFlags {
  jsonl?: boolean;
  input?: string;
  skipInvalid?: boolean;
}

function requireJsonl(command: string, flags: LineFlags): void {
  if (!flags.jsonl) throw new CliError(`flan eval ${command} reads JSONL records: pass --jsonl`);
}

function registerPrompts(evalCommand: Command): void {
  evalCommand
    .command('prompts')
    .description('print the prompt records of a benchmark and format as JSONL (as data/eval/prompts.jsonl)')
    .requiredOption('--data <dir>', 'benchmark data directory (mmlu/, bbh/, mgsm/, tydiqa/)')
    .requiredOption('--benchmark <name>', 'mmlu, bbh, tydiqa or mgsm')
    .requiredOption(
      '--format <name>',
      'mmlu: direct, cot, direct_hendrycks; bbh: direct, cot; mgsm: native_cot; tydiqa: direct_1shot',
    )
    .option(
      '--task <name>',
      'only this task (MMLU subject, BBH file, language); a comma-separated list for several',
    )
    .option('--limit <n>', 'at most n examples per task', integerFlag('--limit', 0))
    .option('--ids <ids>', 'only these example ids (comma-separated)')
    .action(
      async (flags: {
        data: string;
        benchmark: string;
        format: string;
        task?: string;
        limit?: number;
        ids?: string;
      }) => {
        const { loadPrompts, checkBenchmark, checkFormat } = await import('@flan-ts/eval/node');
        await userErrors(async () => {
          const benchmark = checkBenchmark(flags.benchmark);
          checkFormat(benchmark, flags.format);
          const ids = flags.ids === undefined ? undefined : new Set(flags.ids.split(','));
          let tasks = flags.task?.split(',');
          // An id names its task (`<task>/<line>`), except TyDiQA's, so only those files are read.
          if (tasks === undefined && ids !== undefined && benchmark !== 'tydiqa')
            tasks = [...new Set([...ids].map((id) => id.split('/')[0]!))];
          for (const task of tasks ?? [undefined]) {
            const records = await loadPrompts(flags.data, benchmark, flags.format, {
              ...(task !== undefined ? { task } : {}),
              ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
            });
            for (const record of records)
              if (ids === undefined || ids.has(record.example_id))
                await writeOut(orderedJsonLine(record) + '\n');
          }
        });
      },
    );
}

function registerExtract(evalCommand: Command): void {
  lineInputOptions(evalCommand.command('extract'))
    .description(
      'score model outputs: reads {benchmark, format, task, model_output, target} and writes each with extracted and correct added (as scoring.jsonl)',
    )
    .option('--jsonl', 'input lines are JSON objects (the only input format)')
    .action(async (flags: LineFlags) => {
      requireJsonl('extract', flags);
      const { scoreOutput } = await import('@flan-ts/eval');
      await runLines({
        ...(flags.input ? { input: flags.input } : {}),
        skipInvalid: flags.skipInvalid ?? false,
        handle: (line) => {
          const record = parseJsonObject(line);
          const input = {
            ...scoringFields(record),
            model_output: field<string>(record, 'model_output', 'string'),
          };
          const scored = lineErrors(() => scoreOutput(input));
          return orderedJsonLine({ ...record, ...scored });
        },
      });
    });
}

function registerVote(evalCommand: Command): void {
  lineInputOptions(evalCommand.command('vote'))
    .description(
      'self-consistency: reads {benchmark, format, task, samples, target} and writes each with extracted, votes, majority and correct added (as self_consistency.jsonl)',
    )
    .option('--jsonl', 'input lines are JSON objects (the only input format)')
    .action(async (flags: LineFlags) => {
      requireJsonl('vote', flags);
      const { selfConsistency } = await import('@flan-ts/eval');
      await runLines({
        ...(flags.input ? { input: flags.input } : {}),
        skipInvalid: flags.skipInvalid ?? false,
        handle: (line) => {
          const record = parseJsonObject(line);
          const input = { ...scoringFields(record), samples: field<string[]>(record, 'samples', 'string[]') };
          const result = lineErrors(() => selfConsistency(input));
          return orderedJsonLine({ ...record, ...result });
        },
      });
    });
}

function registerNormalize(evalCommand: Command): void {
  lineInputOptions(evalCommand.command('normalize'))
    .description(
      'normalized average: reads {scores: {mmlu_direct, mmlu_cot, bbh_direct, bbh_cot, tydiqa, mgsm}} (some may be missing) and writes each with chance, normalized and normalized_average added',
    )
    .option('--jsonl', 'input lines are JSON objects (the only input format)')
    .option(
      '--data <dir>',
      'compute the BBH chance from this data directory (default: the shared data value 26.633…)',
    )
    .action(async (flags: LineFlags & { data?: string }) => {
      requireJsonl('normalize', flags);
      const { normalizedAverage, bbhChanceLevels, BBH_CHANCE, TABLE5_COLUMNS } =
        await import('@flan-ts/eval');
      let bbhChance = BBH_CHANCE;
      if (flags.data !== undefined) {
        const { loadBbhChance } = await import('@flan-ts/eval/node');
        const dir = flags.data;
        bbhChance = bbhChanceLevels(await userErrors(() => loadBbhChance(dir))).macro_27_subtasks;
      }
      await runLines({
        ...(flags.input ? { input: flags.input } : {}),
        skipInvalid: flags.skipInvalid ?? false,
        handle: (line) => {
          const record = parseJsonObject(line);
          const scores = field<Record<string, unknown>>(record, 'scores', 'object');
          for (const [name, value] of Object.entries(scores)) {
            if (!(TABLE5_COLUMNS as readonly string[]).includes(name))
              throw new InvalidLineError(`unknown score "${name}" (known: ${TABLE5_COLUMNS.join(', ')})`);
            if (typeof value !== 'number' || !Number.isFinite(value))
              throw new InvalidLineError(`score "${name}" must be a number`);
          }
          return orderedJsonLine({
            ...record,
            ...normalizedAverage(scores as Record<string, number>, bbhChance),
          });
        },
      });
    });
}

function registerChance(evalCommand: Command): void {
  evalCommand
    .command('chance')
    .description('print the BBH chance record (per task and macro means) computed from a data directory')
    .requiredOption('--data <dir>', 'benchmark data directory')
    .action(async (flags: { data: string }) => {
      const { bbhChanceLevels } = await import('@flan-ts/eval');
      const { loadBbhChance } = await import('@flan-ts/eval/node');
      const levels = bbhChanceLevels(await userErrors(() => loadBbhChance(flags.data)));
      await writeOut(orderedJsonLine({ kind: 'bbh_chance', ...levels, used: 'macro_27_subtasks' }) + '\n');
    });
}

function registerCompare(evalCommand: Command): void {
  evalCommand
    .command('compare')
    .description('side-by-side Table 5 of two runs (e.g. base vs finetuned), with the difference')
    .argument('<a>', 'results.json of the first run')
    .argument('<b>', 'results.json of the second run')
    .option('--html <file>', 'also write the side-by-side HTML report (bar charts per task) to this file')
    .action(async (a: string, b: string, flags: { html?: string }) => {
      const { compareHtml, compareMarkdown } = await import('@flan-ts/eval');
      const { readFile, writeFile } = await import('node:fs/promises');
      const read = async (path: string) => {
        let text: string;
        try {
          text = await readFile(path, 'utf8');
        } catch (error) {
          throw new CliError(`cannot read ${path}: ${(error as Error).message}`);
        }
        try {
          const json = JSON.parse(text) as Parameters<typeof compareHtml>[0];
          if (typeof json?.table5?.scores !== 'object' || !Array.isArray(json.benchmarks))
            throw new Error('');
          return json;
        } catch {
          throw new CliError(`${path} is not a results.json of flan eval run`);
        }
      };
      const [first, second] = [await read(a), await read(b)];
      await writeOut(compareMarkdown(first, second));
      if (flags.html !== undefined) {
        const html = await compareHtml(first, second);
        try {
          await writeFile(flags.html, html);
        } catch (error) {
          throw new CliError(`--html: cannot write ${flags.html}: ${(error as Error).message}`);
        }
      }
    });
}

export function registerEval(program: Command): void {
  const evalCommand = program
    .command('eval')
    .description(
      'evaluation as in the Flan-T5 paper: MMLU, BBH, TyDiQA, MGSM prompts, scoring, self-consistency, normalized average',
    );
  for (const register of [
    registerPrompts,
    registerExtract,
    registerVote,
    registerNormalize,
    registerChance,
    registerEvalRun,
    registerCompare,
  ])
    register(evalCommand);
}
