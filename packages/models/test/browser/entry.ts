// The browser bundle of the browser test: the main entry, plus what the page checks about the backend.
import * as tf from '@tensorflow/tfjs-core';
import * as models from '../../src/index';
import { installWasmKernels } from '../../src/kernels/wasm/install';

(globalThis as unknown as { flanModels: unknown }).flanModels = { ...models, tf, installWasmKernels };
