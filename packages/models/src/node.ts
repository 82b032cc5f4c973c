export * from './index';

// Checkpoints from local directories and the hub through a disk cache (this loadCheckpoint replaces the browser one), and saving.
export { loadCheckpoint, type NodeLoadCheckpointOptions } from './checkpoint/node/load';
export { saveCheckpoint, type SaveCheckpointInput, type SaveCheckpointOptions } from './checkpoint/node/save';

// Backends in Node: WebGPU through Dawn (the npm `webgpu` package).
export { initNodeBackend, releaseWebGpu } from './backend/node';
