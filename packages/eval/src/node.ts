/**
 * Node-only additions: loaders for a benchmark data directory, and whole runs into a directory
 * (`runEvaluation`: result cache, resume, worker processes, results.json / results.md / report.html).
 */
export * from './index';
export {
  directorySource,
  listTasks,
  loadBbhChance,
  loadBbhRecords,
  loadPrompts,
  loadTaskPrompts,
  mmluEvalSplit,
  type LoadPromptsOptions,
} from './node/data-dir';
export { planEvaluation, type EvalUnit, type PlanOptions } from './node/plan';
export { modelFingerprint } from './node/fingerprint';
export { cacheFileName, clearResultCache, readResultCache, ResultCacheWriter } from './node/run-cache';
export {
  ownsBatch,
  parseShard,
  runWorkerProcesses,
  type Shard,
  type WorkerCommand,
  type WorkerMessage,
} from './node/workers';
export { writeResults, type ResultFiles } from './node/write-results';
export {
  runEvaluation,
  runEvaluationShard,
  type EvaluationRun,
  type LoadedEvalModel,
  type RunEvaluationOptions,
} from './node/run-evaluation';
