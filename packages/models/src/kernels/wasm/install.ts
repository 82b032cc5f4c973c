/** Installs our WebAssembly kernels into tfjs-backend-wasm (called by `initBackend('wasm')`). */
import { installFusedKernels } from './fused';
import { installGemmKernels, type GemmInstallOptions } from './gemm';
import { installHeapKernels } from './heap';
import { installPositionKernels } from './position';
import { wasmBackendInternals } from './runtime';
import { installSliceKernel } from './slice';

let installation: Promise<boolean> | undefined;

/**
 * Loads the kernel modules into the wasm backend's memory and registers their kernels (and starts the
 * GEMM thread pool when the memory is shared). Resolves to false, leaving tfjs's own kernels in place,
 * when the backend's memory cannot be used. Options apply to the first call only.
 */
export function installWasmKernels(options: GemmInstallOptions = {}): Promise<boolean> {
  installation ??= (async () => {
    const backend = wasmBackendInternals();
    if (backend === undefined) return false;
    const results = await Promise.all([
      installGemmKernels(backend, options),
      installFusedKernels(backend),
      installHeapKernels(backend),
      installPositionKernels(backend),
      installSliceKernel(backend),
    ]);
    return results.every(Boolean);
  })();
  return installation;
}
