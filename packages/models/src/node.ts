export * from './index';

// Backends in Node: WebGPU through Dawn (the npm `webgpu` package).
export { initNodeBackend, releaseWebGpu } from './backend/node';
