/** `flan generate`: continuations of prompts, one per input line, as JSONL. */
import type { Command } from 'commander';
import type { GenerationOptions } from '@flan-ts/models';
import { integerFlag, numberFlag, threadsOption } from '../flags';
import {
  CliError,
  InvalidLineError,
  jsonLine,
  parseJsonObject,
  runBatchedLines,
  lineInputOptions,
} from '../io';
import {
  encodeText,
  recordInputIds,
  type LoadedLanguageModel,
  type ModelCommandFlags,
  withLanguageModel,
  modelOptions,
} from '../language-model';

/** Commander's parsed flags: the generation options by their library names, plus the CLI's own. */
type GenerateFlags = Omit<GenerationOptions, 'stopStrings' | 'decode' | 'allowedVocabSize' | 'onStep'> &
  ModelCommandFlags & {
    stop?: string[];
    /**
     * `--no-repeat-ngram-size N`: commander reads a `--no-` prefix as a negation, so the value arrives
     * under this name (and is `true` when the flag is absent).
     */
    repeatNgramSize?: number | true;
  };

export function registerGenerate(program: Command): void {
  lineInputOptions(modelOptions(threadsOption(program.command('generate'))))
    .description(
      'Generate continuations (T5, or a decoder-only model: Llama, Qwen3, ...): a prompt per input line (or JSONL ' +
        'objects with "inputs" text or "input_ids"); writes JSONL with "new_tokens" (ending at eos when emitted) and ' +
        '"text" (null without a tokenizer). Greedy by default.',
    )
    .option(
      '--jsonl',
      'input lines are JSON objects with "inputs" or "input_ids"; their fields are kept in the output',
    )
    .option('--batch-size <n>', 'prompts decoded together', integerFlag('--batch-size', 1), 8)
    .option(
      '--max-new-tokens <n>',
      'most tokens generated per prompt',
      integerFlag('--max-new-tokens', 1),
      20,
    )
    .option(
      '--min-new-tokens <n>',
      'eos is not allowed before this many tokens',
      integerFlag('--min-new-tokens', 0),
    )
    .option('--num-beams <k>', 'beam search with k beams', integerFlag('--num-beams', 1))
    .option(
      '--num-return-sequences <n>',
      'sequences per prompt (new_tokens and text become lists)',
      integerFlag('--num-return-sequences', 1),
    )
    .option('--length-penalty <x>', 'beam score = sum logprobs / length^x', numberFlag('--length-penalty'))
    .option('--early-stopping', 'beam search: stop a prompt once num-beams hypotheses are finished')
    .option('--do-sample', 'sample instead of taking the most likely token')
    .option('--temperature <t>', 'sampling temperature', numberFlag('--temperature'))
    .option(
      '--top-k <k>',
      'sample among the k most likely tokens (0: all; default 50)',
      integerFlag('--top-k', 0),
    )
    .option('--top-p <p>', 'nucleus sampling threshold', numberFlag('--top-p'))
    .option('--seed <s>', 'sampling seed', integerFlag('--seed', Number.MIN_SAFE_INTEGER))
    .option(
      '--repetition-penalty <x>',
      'penalise tokens already generated (HF semantics)',
      numberFlag('--repetition-penalty'),
    )
    .option('--no-repeat-ngram-size <n>', 'never repeat an n-gram', integerFlag('--no-repeat-ngram-size', 0))
    .option('--ignore-eos', 'do not stop at the eos ids of the config: always generate --max-new-tokens')
    .option(
      '--stop <string>',
      'stop a row once its text contains this string (repeatable)',
      (v: string, all: string[] = []) => [...all, v],
    )
    .action((flags: GenerateFlags) => withLanguageModel(flags, (loaded) => runGenerate(flags, loaded)));
}

async function runGenerate(flags: GenerateFlags, loaded: LoadedLanguageModel): Promise<void> {
  const { generate } = await import('@flan-ts/models');
  const { tokenizer } = loaded;
  // Without a tokenizer (numerics fixtures), ids in and ids out: "text" is null and --stop cannot work.
  if (tokenizer === undefined && flags.stop !== undefined) {
    throw new CliError(`--stop needs the generated text: ${loaded.tokenizerProblem}`);
  }
  const decode =
    tokenizer === undefined
      ? undefined
      : (ids: readonly number[]) => tokenizer.decode(ids, { skipSpecialTokens: true });
  const {
    model: _model,
    jsonl: _jsonl,
    input: _input,
    skipInvalid: _skip,
    backend: _backend,
    batchSize: _batch,
    stop,
    repeatNgramSize,
    ...generation
  } = flags;
  const options: GenerationOptions = {
    ...generation,
    noRepeatNgramSize: typeof repeatNgramSize === 'number' ? repeatNgramSize : undefined,
    stopStrings: stop,
    decode,
    // The checkpoint's embedding has rows beyond the tokenizer's vocabulary (Flan-T5: 32128 vs 32100).
    allowedVocabSize:
      tokenizer === undefined ? undefined : Math.min(tokenizer.vocabSize, loaded.model.vocabSize),
  };
  // Check the options once, before reading any input.
  const { resolveGenerationOptions } = await import('@flan-ts/models');
  try {
    resolveGenerationOptions(loaded.model, options);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  const perPrompt = flags.numReturnSequences ?? 1;

  await runBatchedLines({
    input: flags.input,
    skipInvalid: flags.skipInvalid,
    batchSize: flags.batchSize,
    prepare: (line) => {
      if (flags.jsonl) {
        const record = parseJsonObject(line);
        return { record, inputIds: recordInputIds(record, loaded) };
      }
      if (line.text.trim() === '') throw new InvalidLineError('empty prompt');
      return { record: { inputs: line.text }, inputIds: encodeText(line.text, loaded, 'inputs') };
    },
    run: async (batch) => {
      const out = await generate(
        loaded.model,
        batch.map((p) => p.inputIds),
        options,
      );
      const text = (ids: number[]) => (decode === undefined ? null : decode(ids));
      return batch.map((p, i) => {
        const rows = Array.from({ length: perPrompt }, (_, j) => i * perPrompt + j);
        const newTokens = rows.map((r) => out.newTokens[r]!);
        const result: Record<string, unknown> = {
          ...p.record,
          new_tokens: perPrompt === 1 ? newTokens[0] : newTokens,
          text: perPrompt === 1 ? text(newTokens[0]!) : newTokens.map(text),
        };
        if (out.sequenceScores) {
          const scores = rows.map((r) => out.sequenceScores![r]!);
          result.sequence_score = perPrompt === 1 ? scores[0] : scores;
        }
        return jsonLine(result);
      });
    },
  });
}
