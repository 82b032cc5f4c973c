// The browser bundle of wasm-threads-browser.test.ts: the main entry and tfjs, on `globalThis.flanModels`.
import * as tf from '@tensorflow/tfjs-core';
import * as models from '../src/index';

(globalThis as unknown as { flanModels: unknown }).flanModels = { ...models, tf };
