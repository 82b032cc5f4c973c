/**
 * Picks and initialises a tfjs backend by name. Browser-safe: the WASM binaries are located by the
 * bundler or by `setWasmPaths`; WebGPU uses the browser's `navigator.gpu` (in Node, call
 * `initNodeBackend` from `@flan-ts/models/node`, which installs Dawn first).
 */
import * as tf from '@tensorflow/tfjs-core';
import { installWasmKernels } from '../kernels/wasm/install';

/** Backends the models run on. */
export type BackendName = 'wasm' | 'cpu' | 'webgpu';

export const BACKEND_NAMES: readonly BackendName[] = ['wasm', 'cpu', 'webgpu'];

/** Raised when a backend cannot be loaded or initialised (unknown name, no WebGPU adapter, ...). */
export class BackendError extends Error {
  constructor(
    message: string,
    readonly backend: string,
  ) {
    super(`backend ${JSON.stringify(backend)}: ${message}`);
    this.name = 'BackendError';
  }
}

export function isBackendName(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name);
}

/**
 * Where the WASM backend fetches its `.wasm` files from, for browsers whose bundler does not serve
 * them next to the script: a URL prefix ending in `/` (e.g. a CDN copy of
 * `@tensorflow/tfjs-backend-wasm/dist/`). Call before `initBackend('wasm')`.
 */
export async function setWasmPaths(prefix: string): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(prefix);
}

/**
 * Loads the backend's module, makes it the active tfjs backend and waits until it is ready.
 * Returns the name tfjs reports. Idempotent: calling it again with the active backend is cheap.
 *
 * @example
 * ```ts
 * await initBackend('wasm');
 * ```
 */
export async function initBackend(name: BackendName = 'wasm'): Promise<BackendName> {
  if (!isBackendName(name)) {
    throw new BackendError(`unknown backend (supported: ${BACKEND_NAMES.join(', ')})`, String(name));
  }
  if (tf.getBackend() === name && tf.engine().backendName === name) return name;
  try {
    if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
    else if (name === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
    else await import('@tensorflow/tfjs-backend-webgpu');
  } catch (error) {
    throw new BackendError(`could not load its module: ${(error as Error).message}`, name);
  }
  if (tf.findBackendFactory(name) === null) {
    throw new BackendError(
      name === 'webgpu'
        ? 'WebGPU is not available here (no navigator.gpu; in Node use initNodeBackend from @flan-ts/models/node)'
        : 'its module registered no backend',
      name,
    );
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (error) {
    throw new BackendError(`initialisation failed: ${(error as Error).message}`, name);
  }
  if (!ok || tf.getBackend() !== name) throw new BackendError('initialisation failed', name);
  if (name === 'wasm') await installWasmKernels();
  return name;
}
