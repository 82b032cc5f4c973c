/**
 * Measures the arithmetic ceiling of 128-bit WebAssembly SIMD on this machine (assembly/peak.ts):
 * float32 multiply-adds in registers, no memory traffic, one thread. No float32 matmul on tfjs's wasm
 * backend can run faster than this, whatever its blocking.
 */
import { wasmBase64 } from '../src/kernels/wasm/generated/peak';

interface PeakExports {
  mulAddLoop(iterations: number, scale: number): number;
  FLOPS_PER_ITERATION: WebAssembly.Global;
}

/** GFLOP/s per CPU second: the median of `repeats` runs of ~0.25 s each, after a warm-up. */
export async function simd128PeakGflops(repeats = 5): Promise<number> {
  const bytes = Uint8Array.from(atob(wasmBase64), (c) => c.charCodeAt(0));
  const { instance } = await WebAssembly.instantiate(bytes, {
    env: { memory: new WebAssembly.Memory({ initial: 1 }), abort: () => {} },
  });
  const peak = instance.exports as unknown as PeakExports;
  const flopsPerIteration = peak.FLOPS_PER_ITERATION.value as number;
  const iterations = 25_000_000;
  peak.mulAddLoop(iterations / 10, 0.9999);
  const rates: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = process.cpuUsage();
    peak.mulAddLoop(iterations, 0.9999);
    const used = process.cpuUsage(start);
    rates.push((iterations * flopsPerIteration) / ((used.user + used.system) / 1e6) / 1e9);
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)]!;
}
