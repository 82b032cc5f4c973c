/**
 * `flan generate`: continuations of prompts, one per input line, as JSONL. Also home of the model
 * loading that `flan score` shares (checkpoint + tokenizer + backend).
 */
import type { Command } from 'commander';
import type { GenerationOptions, Seq2SeqLM, T5Model } from '@flan-ts/models';
import type { Tokenizer } from '@flan-ts/tokenizer';
import {
  CliError,
  InvalidLineError,
  jsonLine,
  parseJsonObject,
  runBatch,
  runLines,
  writeOut,
  type InputLine,
} from '../io';

const BACKENDS = ['wasm', 'cpu', 'webgpu'] as const;
type Backend = (typeof BACKENDS)[number];

/** A model ready to run, with its tokenizer when the checkpoint ships one. */
export interface LoadedSeq2Seq {
  model: T5Model;
  tokenizer: Tokenizer | undefined;
  /** Why there is no tokenizer, for errors on lines that need one. */
  tokenizerProblem: string | undefined;
  close(): Promise<void>;
}

/** Initialises the backend, then loads the checkpoint (directory, URL or hub id) and its tokenizer. */
export async function loadSeq2Seq(source: string, backend: Backend): Promise<LoadedSeq2Seq> {
  const models = await import('@flan-ts/models/node');
  // Production mode silences tfjs's console banners (the cpu backend advertises tfjs-node on stderr).
  const tf = await import('@tensorflow/tfjs-core');
  tf.env().set('PROD', true);
  await models.initNodeBackend(backend);
  const checkpoint = await models.loadCheckpoint(source);
  const model = models.T5Model.fromTensors(checkpoint.config, checkpoint.tensors);
  checkpoint.tensors.clear();
  let tokenizer: Tokenizer | undefined;
  let tokenizerProblem: string | undefined;
  const files = checkpoint.files.tokenizer;
  const tokenizerFile = files.spieceModel ?? files.tokenizerJson;
  if (tokenizerFile === undefined) {
    tokenizerProblem = `the checkpoint ${source} has no tokenizer (spiece.model or tokenizer.json)`;
  } else if (/^https?:/.test(tokenizerFile)) {
    // A checkpoint loaded from a URL: the tokenizer's defaults are T5's (100 sentinels).
    const { Tokenizer } = await import('@flan-ts/tokenizer');
    tokenizer = await Tokenizer.fromUrl(tokenizerFile);
  } else {
    const { loadTokenizerDirectory } = await import('@flan-ts/tokenizer/node');
    const { dirname } = await import('node:path');
    tokenizer = await loadTokenizerDirectory(dirname(tokenizerFile));
  }
  return {
    model,
    tokenizer,
    tokenizerProblem,
    async close() {
      model.dispose();
      if (backend === 'webgpu') await models.releaseWebGpu();
    },
  };
}

/** Encoder ids of a JSONL record: `input_ids` as given, or `inputs` through the tokenizer (eos appended). */
export function recordInputIds(record: Record<string, unknown>, loaded: LoadedSeq2Seq): number[] {
  const hasIds = 'input_ids' in record;
  if (hasIds === 'inputs' in record)
    throw new InvalidLineError('give exactly one of "inputs" (text) and "input_ids" (ids)');
  if (hasIds) return tokenIds(record.input_ids, 'input_ids', loaded.model.vocabSize);
  if (typeof record.inputs !== 'string') throw new InvalidLineError('field "inputs" must be a string');
  return encodeText(record.inputs, loaded, 'inputs');
}

export function encodeText(text: string, loaded: LoadedSeq2Seq, fieldName: string): number[] {
  if (loaded.tokenizer === undefined)
    throw new InvalidLineError(`cannot encode "${fieldName}": ${loaded.tokenizerProblem}`);
  return Array.from(loaded.tokenizer.encode(text).ids);
}

/** Validates a list of token ids (non-empty, integers within the model's vocabulary). */
export function tokenIds(value: unknown, fieldName: string, vocabSize: number): number[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new InvalidLineError(`field "${fieldName}" must be a non-empty list of token ids`);
  value.forEach((id, i) => {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new InvalidLineError(
        `field "${fieldName}"[${i}] = ${JSON.stringify(id)} is not a token id in [0, ${vocabSize})`,
      );
    }
  });
  return value as number[];
}

function parseInteger(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min)
      throw new CliError(`${name} must be an integer ≥ ${min}, got "${value}"`);
    return n;
  };
}

function parseNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n))
      throw new CliError(`${name} must be a number, got "${value}"`);
    return n;
  };
}

export function parseBackend(value: string): Backend {
  if (!(BACKENDS as readonly string[]).includes(value))
    throw new CliError(`--backend must be one of ${BACKENDS.join(', ')}, got "${value}"`);
  return value as Backend;
}

interface GenerateFlags {
  model: string;
  jsonl?: boolean;
  input?: string;
  skipInvalid?: boolean;
  backend: Backend;
  batchSize: number;
  maxNewTokens: number;
  minNewTokens?: number;
  numBeams?: number;
  numReturnSequences?: number;
  lengthPenalty?: number;
  earlyStopping?: boolean;
  doSample?: boolean;
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
  repetitionPenalty?: number;
  noRepeatNgramSize?: number;
  stop?: string[];
}

interface Pending {
  lineNumber: number;
  record: Record<string, unknown>;
  inputIds: number[];
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description(
      'Generate continuations: a prompt per input line (or JSONL objects with "inputs" text or "input_ids"); ' +
        'writes JSONL with "new_tokens" (ending at eos when emitted) and "text". Greedy by default.',
    )
    .requiredOption(
      '--model <dir|hub id|url>',
      'Hugging Face T5 checkpoint: a directory, a URL or a hub repo id',
    )
    .option(
      '--jsonl',
      'input lines are JSON objects with "inputs" or "input_ids"; their fields are kept in the output',
    )
    .option('--input <file>', 'read lines from this file instead of stdin')
    .option('--skip-invalid', 'report invalid lines on stderr and go on')
    .option('--backend <name>', 'tfjs backend: wasm, cpu or webgpu', parseBackend, 'wasm' as Backend)
    .option('--batch-size <n>', 'prompts decoded together', parseInteger('--batch-size', 1), 8)
    .option(
      '--max-new-tokens <n>',
      'most tokens generated per prompt',
      parseInteger('--max-new-tokens', 1),
      20,
    )
    .option(
      '--min-new-tokens <n>',
      'eos is not allowed before this many tokens',
      parseInteger('--min-new-tokens', 0),
    )
    .option('--num-beams <k>', 'beam search with k beams', parseInteger('--num-beams', 1))
    .option(
      '--num-return-sequences <n>',
      'sequences per prompt (new_tokens and text become lists)',
      parseInteger('--num-return-sequences', 1),
    )
    .option('--length-penalty <x>', 'beam score = sum logprobs / length^x', parseNumber('--length-penalty'))
    .option('--early-stopping', 'beam search: stop a prompt once num-beams hypotheses are finished')
    .option('--do-sample', 'sample instead of taking the most likely token')
    .option('--temperature <t>', 'sampling temperature', parseNumber('--temperature'))
    .option(
      '--top-k <k>',
      'sample among the k most likely tokens (0: all; default 50)',
      parseInteger('--top-k', 0),
    )
    .option('--top-p <p>', 'nucleus sampling threshold', parseNumber('--top-p'))
    .option('--seed <s>', 'sampling seed', parseInteger('--seed', Number.MIN_SAFE_INTEGER))
    .option(
      '--repetition-penalty <x>',
      'penalise tokens already generated (HF semantics)',
      parseNumber('--repetition-penalty'),
    )
    .option('--no-repeat-ngram-size <n>', 'never repeat an n-gram', parseInteger('--no-repeat-ngram-size', 0))
    .option(
      '--stop <string>',
      'stop a row once its text contains this string (repeatable)',
      (v: string, all: string[] = []) => [...all, v],
    )
    .action(async (flags: GenerateFlags) => {
      const loaded = await loadSeq2Seq(flags.model, flags.backend);
      try {
        await runGenerate(flags, loaded);
      } finally {
        await loaded.close();
      }
    });
}

async function runGenerate(flags: GenerateFlags, loaded: LoadedSeq2Seq): Promise<void> {
  const { generate } = await import('@flan-ts/models');
  const { tokenizer } = loaded;
  if (tokenizer === undefined) throw new CliError(`cannot write "text": ${loaded.tokenizerProblem}`);
  const decode = (ids: readonly number[]) => tokenizer.decode(ids, { skipSpecialTokens: true });
  const options: GenerationOptions = {
    maxNewTokens: flags.maxNewTokens,
    minNewTokens: flags.minNewTokens,
    numBeams: flags.numBeams,
    numReturnSequences: flags.numReturnSequences,
    lengthPenalty: flags.lengthPenalty,
    earlyStopping: flags.earlyStopping,
    doSample: flags.doSample,
    temperature: flags.temperature,
    topK: flags.topK,
    topP: flags.topP,
    seed: flags.seed,
    repetitionPenalty: flags.repetitionPenalty,
    noRepeatNgramSize: flags.noRepeatNgramSize,
    stopStrings: flags.stop,
    decode,
    // The checkpoint's embedding has rows beyond the tokenizer's vocabulary (Flan-T5: 32128 vs 32100).
    allowedVocabSize: Math.min(tokenizer.vocabSize, loaded.model.vocabSize),
  };
  // Check the options once, before reading any input.
  const { resolveGenerationOptions } = await import('@flan-ts/models');
  try {
    resolveGenerationOptions(loaded.model, options);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  const perPrompt = flags.numReturnSequences ?? 1;

  let pending: Pending[] = [];
  const flush = async (): Promise<string[]> => {
    if (pending.length === 0) return [];
    const batch = pending;
    pending = [];
    const out = await runBatch(
      flags.input,
      batch.map((p) => p.lineNumber),
      () =>
        generate(
          loaded.model as Seq2SeqLM,
          batch.map((p) => p.inputIds),
          options,
        ),
    );
    return batch.map((p, i) => {
      const rows = Array.from({ length: perPrompt }, (_, j) => i * perPrompt + j);
      const newTokens = rows.map((r) => out.newTokens[r]!);
      const result: Record<string, unknown> = {
        ...p.record,
        new_tokens: perPrompt === 1 ? newTokens[0] : newTokens,
        text: perPrompt === 1 ? decode(newTokens[0]!) : newTokens.map(decode),
      };
      if (out.sequenceScores) {
        const scores = rows.map((r) => out.sequenceScores![r]!);
        result.sequence_score = perPrompt === 1 ? scores[0] : scores;
      }
      return jsonLine(result);
    });
  };

  await runLines({
    input: flags.input,
    skipInvalid: flags.skipInvalid,
    handle: async (line: InputLine) => {
      let record: Record<string, unknown>;
      let inputIds: number[];
      if (flags.jsonl) {
        record = parseJsonObject(line);
        inputIds = recordInputIds(record, loaded);
      } else {
        if (line.text.trim() === '') throw new InvalidLineError('empty prompt');
        record = { inputs: line.text };
        inputIds = encodeText(line.text, loaded, 'inputs');
      }
      pending.push({ lineNumber: line.lineNumber, record, inputIds });
      return pending.length >= flags.batchSize ? await flush() : undefined;
    },
  });
  for (const out of await flush()) await writeOut(out + '\n');
}
