/**
 * Whether a model's weights can live on a backend, decided from its config before any download:
 * WebGPU binds each tensor as one buffer (the adapter's `maxBufferSize` and
 * `maxStorageBufferBindingSize` cap it), and tfjs-backend-wasm is wasm32, a 4 GiB heap for weights,
 * optimizer state and activations together.
 */
import type { ExpectedTensor } from '../t5/parameters';

const MiB = 1024 * 1024;
/** The share of the 4 GiB WebAssembly heap that weights may take, leaving room for training. */
export const WASM_WEIGHT_BUDGET = 2048 * MiB;

export interface Footprint {
  /** Stored parameters. */
  parameters: number;
  /** The largest tensor in float32 bytes (what one WebGPU buffer must hold). */
  largest: { name: string; bytes: number };
}

/** The parameter count and the largest tensor of a checkpoint's expected tensors (float32). */
export function footprint(tensors: readonly ExpectedTensor[]): Footprint {
  let parameters = 0;
  let largest = { name: '', bytes: 0 };
  for (const t of tensors) {
    if (!t.required) continue;
    const n = t.shape.reduce((a, b) => a * b, 1);
    parameters += n;
    if (n * 4 > largest.bytes) largest = { name: t.name, bytes: n * 4 };
  }
  return { parameters, largest };
}

/** A WebGPU adapter's per-buffer limits. */
export interface BufferLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;

/** Why a model of this footprint cannot be loaded on `backend`, or undefined when it fits. */
export function fitProblem(f: Footprint, backend: string, limits?: BufferLimits): string | undefined {
  if (backend === 'webgpu' && limits) {
    const limit = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
    if (f.largest.bytes > limit)
      return (
        `too large for this WebGPU adapter: its largest tensor ${f.largest.name} takes ${mib(f.largest.bytes)}, ` +
        `but the adapter binds at most ${mib(limit)} per buffer (maxBufferSize ${mib(limits.maxBufferSize)}, ` +
        `maxStorageBufferBindingSize ${mib(limits.maxStorageBufferBindingSize)})`
      );
  }
  if (backend === 'wasm' && f.parameters * 4 > WASM_WEIGHT_BUDGET)
    return (
      `too large for WASM: its weights take ${mib(f.parameters * 4)}, more than the ${mib(WASM_WEIGHT_BUDGET)} ` +
      'the 4 GiB WebAssembly heap can spare beside training state'
    );
  return undefined;
}
