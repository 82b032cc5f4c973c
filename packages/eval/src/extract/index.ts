/**
 * Postprocess + metric of every benchmark and format, as one dispatch: a model output and the
 * target in, the canonical answer and whether it is correct out (the fields of `scoring.jsonl`).
 */
import { EvalError } from '../errors';
import { checkBenchmark, checkFormat } from '../prompts';
import { bbhCorrect, extractBbhCot, extractBbhDirect } from './bbh';
import { extractMgsm, mgsmCorrect, type MgsmExtraction } from './mgsm';
import { extractMmluCot, extractMmluDirect, extractMmluHendrycks } from './mmlu';
import { normalizeSquad, tydiqaExactMatch, tydiqaPrediction } from './tydiqa';

export interface ScoringInput {
  benchmark: string;
  format: string;
  /** Needed by MGSM (the language's answer phrase). */
  task: string;
  model_output: string;
  target: string | number | readonly string[];
}

export interface Scored {
  /** The canonical answer (TyDiQA: the normalised prediction); `""` when none was found. */
  extracted: string;
  correct: boolean;
  /** MGSM only: how the number was found. */
  extracted_via?: MgsmExtraction['via'];
}

function targetString(input: ScoringInput): string {
  if (typeof input.target !== 'string')
    throw new EvalError(`${input.benchmark} ${input.format}: "target" must be a string`);
  return input.target;
}

/** Extracts and matches one model output under the rules of its benchmark and format. */
export function scoreOutput(input: ScoringInput): Scored {
  const benchmark = checkBenchmark(input.benchmark);
  checkFormat(benchmark, input.format);
  const output = input.model_output;
  switch (benchmark) {
    case 'bbh': {
      const target = targetString(input);
      const extracted =
        input.format === 'cot' ? extractBbhCot(output, target) : extractBbhDirect(output, target);
      return { extracted, correct: bbhCorrect(extracted, target) };
    }
    case 'mmlu': {
      const target = targetString(input);
      const extracted =
        input.format === 'cot'
          ? extractMmluCot(output)
          : input.format === 'direct'
            ? extractMmluDirect(output)
            : extractMmluHendrycks(output);
      return { extracted, correct: extracted !== '' && extracted === target };
    }
    case 'mgsm': {
      if (typeof input.target !== 'number') throw new EvalError('mgsm: "target" must be a number');
      const { extracted, via } = extractMgsm(output, input.task);
      return { extracted, correct: mgsmCorrect(extracted, input.target), extracted_via: via };
    }
    case 'tydiqa': {
      const answers = input.target;
      if (!Array.isArray(answers) || !answers.every((a) => typeof a === 'string'))
        throw new EvalError('tydiqa: "target" must be a list of gold answers');
      const prediction = tydiqaPrediction(output);
      return { extracted: normalizeSquad(prediction), correct: tydiqaExactMatch(prediction, answers) };
    }
  }
}

/** Whether an already canonical answer (a vote's majority, say) is correct for the target. */
export function answerCorrect(input: Omit<ScoringInput, 'model_output'>, extracted: string): boolean {
  const benchmark = checkBenchmark(input.benchmark);
  switch (benchmark) {
    case 'bbh':
      return bbhCorrect(extracted, targetString({ ...input, model_output: '' }));
    case 'mmlu':
      return extracted !== '' && extracted === input.target;
    case 'mgsm':
      return typeof input.target === 'number' && mgsmCorrect(extracted, input.target);
    case 'tydiqa':
      return (
        extracted !== '' &&
        Array.isArray(input.target) &&
        input.target.some((a: string) => normalizeSquad(a) === extracted)
      );
  }
}
