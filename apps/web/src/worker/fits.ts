/** Whether a model's weights can live on the backend, decided from config.json before any download. */
import { expectedT5Tensors, type T5Config } from '@flan-ts/models';
import type { AdapterInfo } from '../protocol';

const MiB = 1024 * 1024;
/** tfjs-backend-wasm is wasm32: a 4 GiB heap for weights, optimizer state and activations together. */
const WASM_WEIGHT_BUDGET = 2048 * MiB;

export interface Footprint {
  parameters: number;
  largest: { name: string; bytes: number };
}

export function footprint(config: T5Config): Footprint {
  let parameters = 0;
  let largest = { name: '', bytes: 0 };
  for (const t of expectedT5Tensors(config)) {
    if (!t.required) continue;
    const n = t.shape.reduce((a, b) => a * b, 1);
    parameters += n;
    if (n * 4 > largest.bytes) largest = { name: t.name, bytes: n * 4 };
  }
  return { parameters, largest };
}

const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;

/** Why the model cannot be loaded on `backend`, or undefined when it fits. */
export function fitProblem(
  f: Footprint,
  backend: string,
  adapter: AdapterInfo | undefined,
): string | undefined {
  if (backend === 'webgpu' && adapter) {
    const limit = Math.min(adapter.maxBufferSize, adapter.maxStorageBufferBindingSize);
    if (f.largest.bytes > limit)
      return (
        `too large for this WebGPU adapter: its largest tensor ${f.largest.name} takes ${mib(f.largest.bytes)}, ` +
        `but the adapter binds at most ${mib(limit)} per buffer (maxBufferSize ${mib(adapter.maxBufferSize)}, ` +
        `maxStorageBufferBindingSize ${mib(adapter.maxStorageBufferBindingSize)})`
      );
  }
  if (backend === 'wasm' && f.parameters * 4 > WASM_WEIGHT_BUDGET)
    return (
      `too large for WASM: its weights take ${mib(f.parameters * 4)}, more than the ${mib(WASM_WEIGHT_BUDGET)} ` +
      'the 4 GiB WebAssembly heap can spare beside training state'
    );
  return undefined;
}
