/** Node-only additions: loaders for a benchmark data directory. */
export * from './index';
export {
  listTasks,
  loadBbhChance,
  loadBbhRecords,
  loadPrompts,
  loadTaskPrompts,
  mmluEvalSplit,
  type LoadPromptsOptions,
} from './node/data-dir';
