/**
 * @flan-ts/eval: evaluation as in the Flan-T5 paper (Chung et al. 2022). Seqio-style tasks: prompts
 * (MMLU, BBH, MGSM, TyDiQA GoldP), postprocessing (answer extraction) and metrics, self-consistency
 * and the normalized average. Browser-safe: builders take parsed data, and the data-directory loaders
 * take a `DataSource` (`fetchSource` for a URL, `filesSource` for picked files; a folder on disk is
 * `@flan-ts/eval/node`'s).
 */
export { DataLineError, EvalError } from './errors';
export { asciiDigits, casefold, pySplit, pyStrip, pyRstrip } from './python';
export { parseJsonl, type JsonlRecord } from './data/jsonl';
export {
  parseBbh,
  parseJsonFile,
  parseMgsm,
  parseMgsmExemplars,
  parseMmlu,
  parseMmluCotPrompts,
  parseTydiqa,
  type BbhRecord,
  type MgsmExemplar,
  type MgsmRecord,
  type MmluRecord,
  type TydiqaRecord,
} from './data/records';
export { fetchSource, filesSource, type DataSource, type TextFile } from './data/source';
export { BBH_TASKS, MMLU_SUBJECTS } from './data/tasks';
export {
  listTasksIn,
  loadBbhRecordsFrom,
  loadEvaluationData,
  loadPromptsFrom,
  loadTaskData,
  loadTaskPromptsFrom,
  mmluEvalSplitOf,
  type BenchmarkChoice,
  type EvaluationData,
  type LoadPromptsOptions,
  type TaskPrompts,
} from './data/data-dir';
export {
  BENCHMARK_FORMATS,
  BENCHMARK_NAMES,
  checkBenchmark,
  checkFormat,
  type BenchmarkName,
  type PromptRecord,
} from './prompts';
export {
  hendrycksHeader,
  hendrycksQuestion,
  mmluHeader,
  mmluPrompt,
  mmluPrompts,
  mmluPromptParts,
  mmluQuestion,
  withShots,
  type MmluPromptParts,
  MMLU_FORMATS,
  type MmluFormat,
  type MmluSubjectData,
} from './benchmarks/mmlu';
export {
  BBH_FORMATS,
  bbhDirectPrefix,
  bbhExampleChance,
  bbhPrompt,
  bbhPrompts,
  bbhTaskChance,
  parseBbhCotPrompt,
  stripCanary,
  type BbhExemplar,
  type BbhFormat,
  type BbhTaskData,
} from './benchmarks/bbh';
export {
  MGSM_LANGUAGES,
  mgsmPrefixes,
  mgsmPrompt,
  mgsmPrompts,
  type MgsmLanguageData,
} from './benchmarks/mgsm';
export {
  TYDIQA_LANGUAGES,
  tydiqaPrompt,
  tydiqaPrompts,
  tydiqaSplit,
  type TydiqaLanguageData,
} from './benchmarks/tydiqa';
export { answerSpan, cutAtBlankLine, firstLine } from './extract/answer-span';
export {
  bbhCorrect,
  canonicalBbhAnswer,
  extractBbhCot,
  extractBbhDirect,
  lmEvalBbhCotRegex,
} from './extract/bbh';
export { extractMmluCot, extractMmluDirect, extractMmluHendrycks } from './extract/mmlu';
export {
  canonicalNumber,
  extractMgsm,
  mgsmCorrect,
  MGSM_ANSWER_PHRASES,
  type MgsmExtraction,
} from './extract/mgsm';
export { normalizeSquad, tydiqaExactMatch, tydiqaPrediction } from './extract/tydiqa';
export { answerCorrect, scoreOutput, type Scored, type ScoringInput } from './extract/index';
export { majorityVote, selfConsistency, type VoteInput, type VoteResult } from './vote';
export {
  BBH_CHANCE,
  bbhChanceLevels,
  macroMean,
  microMean,
  normalizedAverage,
  normalizeScore,
  PAPER_FLAN_T5,
  TABLE5_COLUMNS,
  table5Chance,
  type BbhChanceLevels,
  type NormalizedAverage,
  type Table5Column,
  type Table5Scores,
} from './normalize';

export {
  DEFAULT_MAX_INPUT_TOKENS,
  defaultMaxNewTokens,
  fnv1a,
  rankable,
  resultKey,
  settingsKey,
  stopStrings,
  type AnswerMode,
  type RunSettings,
} from './run/settings';
export {
  cutAtStop,
  encodePrompt,
  encodingFor,
  evaluateBatch,
  evaluatePrompts,
  planBatches,
  type EncodedPrompt,
  type EvalTokenizer,
  type ExampleResult,
} from './run/evaluate';
export {
  aggregate,
  compareMarkdown,
  inPaperAverage,
  resultsMarkdown,
  table5,
  table5Column,
  type BenchmarkScore,
  type ResultsSummary,
  type TaskScore,
} from './run/report';
export { checkModelTokenizer, type ModelVocabulary, type TokenizerVocabulary } from './run/check-model';
export type { EvalProgress, ProgressCallback } from './run/progress';
export { buildResults, type EvaluationResults, type ResultsContext } from './run/results';
export { compareHtml, resultsHtml, type HtmlResults } from './run/html-report';
export type { EvalRequest, EvalResponse, MessagePortLike } from './worker/protocol';
export { createEvalWorkerHandler, serveEvaluation, type WorkerModel } from './worker/handler';
export { createEvalClient, type EvalClient, type EvaluateCall, type WorkerEvaluation } from './worker/client';
