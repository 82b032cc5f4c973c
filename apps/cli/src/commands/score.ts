/** `flan score`: log-probabilities of given targets for each input, as JSONL (rank classification). */
import type { Command } from 'commander';
import { integerFlag, threadsOption } from '../flags';
import { InvalidLineError, jsonLine, parseJsonObject, runBatchedLines, lineInputOptions } from '../io';
import {
  encodeText,
  recordInputIds,
  tokenIds,
  type LoadedLanguageModel,
  type ModelCommandFlags,
  type RecordEncoder,
  withLanguageModel,
  modelOptions,
} from '../language-model';

/** The shortest decimal that reads back as the same float32 (scores are float32; their float64 digits are noise). */
function float32Json(x: number): number {
  for (let digits = 1; digits < 10; digits += 1) {
    const short = Number(x.toPrecision(digits));
    if (Math.fround(short) === x) return short;
  }
  return x;
}

/**
 * Targets of a record: `target_ids` (lists of ids, used as given) or `targets` (texts; the T5
 * tokenizer appends eos, a decoder-only model's tokenizer adds nothing: continuations of the prompt).
 */
function recordTargets(record: Record<string, unknown>, loaded: RecordEncoder): number[][] {
  const hasIds = 'target_ids' in record;
  if (hasIds === 'targets' in record)
    throw new InvalidLineError('give exactly one of "targets" (texts) and "target_ids" (id lists)');
  if (hasIds) {
    const value = record.target_ids;
    if (!Array.isArray(value) || value.length === 0)
      throw new InvalidLineError('field "target_ids" must be a non-empty list of id lists');
    return value.map((ids, i) => tokenIds(ids, `target_ids[${i}]`, loaded.model.vocabSize));
  }
  const value = record.targets;
  if (!Array.isArray(value) || value.length === 0 || !value.every((t) => typeof t === 'string')) {
    throw new InvalidLineError('field "targets" must be a non-empty list of strings');
  }
  return value.map((text: string, i) => encodeText(text, loaded, `targets[${i}]`));
}

export function registerScore(program: Command): void {
  lineInputOptions(modelOptions(threadsOption(program.command('score'))))
    .description(
      'Score targets: JSONL objects with "inputs" (text) or "input_ids", and "targets" (texts) or "target_ids" (id lists); ' +
        'writes each object with "sum_logprobs" (one per target) and "token_logprobs" (one list per target). ' +
        'For a decoder-only model a target is a continuation of the prompt.',
    )
    .option(
      '--jsonl',
      'input lines are JSON objects (the only input format; accepted for symmetry with generate)',
    )
    .option('--batch-size <n>', '(input, target) pairs per forward pass', integerFlag('--batch-size', 1), 16)
    .action((flags: ModelCommandFlags) => withLanguageModel(flags, (loaded) => runScore(flags, loaded)));
}

async function runScore(flags: ModelCommandFlags, loaded: LoadedLanguageModel): Promise<void> {
  const { scoreTargets } = await import('@flan-ts/models');
  await runBatchedLines({
    input: flags.input,
    skipInvalid: flags.skipInvalid,
    batchSize: flags.batchSize,
    prepare: (line) => {
      const record = parseJsonObject(line);
      return {
        record,
        request: { inputIds: recordInputIds(record, loaded), targets: recordTargets(record, loaded) },
      };
    },
    sizeOf: (item) => item.request.targets.length,
    run: async (batch) => {
      const scores = await scoreTargets(
        loaded.model,
        batch.map((p) => p.request),
        { batchSize: flags.batchSize },
      );
      return batch.map((p, i) =>
        jsonLine({
          ...p.record,
          sum_logprobs: scores[i]!.map((s) => float32Json(s.sumLogprob)),
          token_logprobs: scores[i]!.map((s) => s.tokenLogprobs.map(float32Json)),
        }),
      );
    },
  });
}
