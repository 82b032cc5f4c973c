export * from './index';
export { loadLoraAdapter, saveLoraAdapter } from './lora/node';
export { checkReadable, fileChunks, idJsonlFile, textJsonlFile } from './data/node';
export { runTraining, type RunOptions, type RunResult } from './node/run';
export {
  listCheckpoints,
  pruneCheckpoints,
  readCheckpoint,
  readTrainerState,
  writeCheckpoint,
  writeModelFiles,
  type CheckpointContents,
  type ReadCheckpoint,
} from './checkpoint/node';
