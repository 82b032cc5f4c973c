/** Installs our WebAssembly kernels into tfjs-backend-wasm (called by `initBackend('wasm')`). */
import { enableThreads } from '../../threads/index';
import { installFusedKernels } from './fused';
import { installGemmKernels, type GemmInstallOptions } from './gemm';
import { installHeapKernels } from './heap';
import { installPositionKernels } from './position';
import { backendMemory, backendMemoryIsShared, wasmBackendInternals } from './runtime';
import { installSliceKernel } from './slice';

/** Options of `installWasmKernels`. */
export interface WasmKernelOptions extends GemmInstallOptions {
  /** Why the heap is not shared, when it is not (reported by `threadStatus`). */
  unsharedReason?: string;
}

let installation: Promise<boolean> | undefined;

/**
 * Loads the kernel modules into the wasm backend's memory and registers their kernels, then starts
 * the thread pool (its workers run the GEMM and fused modules) when the memory is shared. Resolves to
 * false, leaving tfjs's own kernels in place, when the backend's memory cannot be used. Options apply
 * to the first call only.
 */
export function installWasmKernels(options: WasmKernelOptions = {}): Promise<boolean> {
  installation ??= (async () => {
    const backend = wasmBackendInternals();
    if (backend === undefined) return false;
    const [gemm, fused, ...others] = await Promise.all([
      installGemmKernels(backend, options),
      installFusedKernels(backend),
      installHeapKernels(backend),
      installPositionKernels(backend),
      installSliceKernel(backend),
    ]);
    const memory = backendMemory(backend);
    if (gemm === undefined || memory === undefined)
      await enableThreads(undefined, 'the GEMM kernels could not be installed');
    else if (!backendMemoryIsShared(backend))
      await enableThreads(undefined, options.unsharedReason ?? 'the wasm heap is not shared memory');
    else await enableThreads({ modules: { gemm, fused }, memory });
    return gemm !== undefined && fused !== undefined && others.every(Boolean);
  })();
  return installation;
}
