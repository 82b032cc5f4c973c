export * from './index';

// Checkpoints from local directories and the hub through a disk cache (this loadCheckpoint replaces the browser one), and saving.
export { loadCheckpoint, type NodeLoadCheckpointOptions } from './checkpoint/node/load';
export { saveCheckpoint, type SaveCheckpointInput, type SaveCheckpointOptions } from './checkpoint/node/save';
export { loadT5, saveT5, type SaveT5Options } from './checkpoint/node/pretrained';

// Backends in Node: WebGPU through Dawn (the npm `webgpu` package).
export { initNodeBackend, releaseWebGpu } from './backend/node';

// Files written whole or not at all (temporary name, then rename), for packages that save beside the model.
export { writeFileAtomic } from './checkpoint/node/atomic-file';

// Decoder-only checkpoints from local directories and the hub cache (these replace the browser loaders), and saving.
export { loadCausalLM, loadCausalCheckpoint, loadAnyCheckpoint, loadModel } from './checkpoint/node/causal';
export { saveCausalLM, type SaveCausalOptions } from './checkpoint/node/save-causal';
