export * from './index';
export { loadLoraAdapter, saveLoraAdapter } from './lora/node';
export { checkReadable, fileChunks, idJsonlFile, textJsonlFile } from './data/node';
export { runTraining, type RunOptions, type RunResult } from './node/run';
export { DirectoryCheckpointStore } from './checkpoint/directory-store';
