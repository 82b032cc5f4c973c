/** Installs our WebAssembly kernels into tfjs-backend-wasm (called by `initBackend('wasm')`). */
import { installFusedKernels } from './fused';
import { installGemmKernels } from './gemm';
import { installHeapKernels } from './heap';
import { installPositionKernels } from './position';
import { wasmBackendInternals } from './runtime';
import { installSliceKernel } from './slice';

let installation: Promise<boolean> | undefined;

/**
 * Loads the kernel modules into the wasm backend's memory and registers their kernels. Resolves to
 * false, leaving tfjs's own kernels in place, when the backend's memory cannot be shared.
 */
export function installWasmKernels(): Promise<boolean> {
  installation ??= (async () => {
    const backend = wasmBackendInternals();
    if (backend === undefined) return false;
    const results = await Promise.all([
      installGemmKernels(backend),
      installFusedKernels(backend),
      installHeapKernels(backend),
      installPositionKernels(backend),
      installSliceKernel(backend),
    ]);
    return results.every(Boolean);
  })();
  return installation;
}
