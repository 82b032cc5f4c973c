/**
 * Picks and initialises a tfjs backend by name. Browser-safe: the WASM binaries are located by the
 * bundler or by `setWasmPaths`; WebGPU uses the browser's `navigator.gpu` (in Node, call
 * `initNodeBackend` from `@flan-ts/models/node`, which installs Dawn first).
 */
import * as tf from '@tensorflow/tfjs-core';
import { installWasmKernels } from '../kernels/wasm/install';
import { sharedMemoryAllowed, withSharedTfjsMemory } from '../kernels/wasm/shared-memory';
import { setNumThreads } from '../threads/index';

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

/** Options of `initBackend` (the wasm backend's; the others ignore them). */
export interface BackendOptions {
  /**
   * Threads of the wasm kernels, the calling thread included (default: the number of cores). Needs
   * shared memory: in a browser, a cross-origin isolated page; otherwise one thread is used
   * (`threadStatus()` says why). Same as calling `setNumThreads`.
   */
  threads?: number;
  /**
   * The GEMM variant: relaxed SIMD's fused multiply-add (`true`), plain multiply + add (`false`), or
   * `'auto'` (default): fused where the engine supports relaxed SIMD (Node >= 22, Chromium; Node 20
   * with `--experimental-wasm-relaxed-simd`). Fixed by the first `initBackend('wasm')` of a process.
   */
  fusedMultiplyAdd?: boolean | 'auto';
}

/**
 * Loads the backend's module, makes it the active tfjs backend and waits until it is ready.
 * Returns the name tfjs reports. Idempotent: calling it again with the active backend is cheap
 * (a `threads` option still applies).
 *
 * @example
 * ```ts
 * await initBackend('wasm', { threads: 2 });
 * ```
 */
export async function initBackend(
  name: BackendName = 'wasm',
  options: BackendOptions = {},
): Promise<BackendName> {
  if (!isBackendName(name)) {
    throw new BackendError(`unknown backend (supported: ${BACKEND_NAMES.join(', ')})`, String(name));
  }
  if (options.threads !== undefined) await setNumThreads(options.threads);
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
  // The wasm heap is made shared as tfjs creates it (the first time only), so that kernel workers can use it.
  const shared = name === 'wasm' && tf.findBackend('wasm') === null ? sharedMemoryAllowed() : undefined;
  // On an isolated page tfjs would pick its threaded build: a memory it does not export, and a pthread
  // pool of its own beside ours. Its SIMD build, made shared, serves both.
  if (shared !== undefined) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const activate = async (): Promise<boolean> => {
    const set = await tf.setBackend(name);
    await tf.ready();
    return set;
  };
  try {
    ok = shared?.allowed === true ? await withSharedTfjsMemory(activate) : await activate();
  } catch (error) {
    throw new BackendError(`initialisation failed: ${(error as Error).message}`, name);
  }
  if (!ok || tf.getBackend() !== name) throw new BackendError('initialisation failed', name);
  if (name === 'wasm') {
    await installWasmKernels({
      fusedMultiplyAdd: options.fusedMultiplyAdd,
      unsharedReason:
        shared === undefined
          ? 'tfjs-backend-wasm was initialised before initBackend, so its heap is not shared memory'
          : shared.reason,
    });
  }
  return name;
}
