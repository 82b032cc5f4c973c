/**
 * Gives tfjs-backend-wasm a shared heap, so that our kernel workers can work in it in place.
 *
 * tfjs's threaded build (`tfjs-backend-wasm-threaded-simd.wasm`) is off in Node (tfjs hands its
 * pthreads `blob:` worker URLs) and would add a second thread pool to ours; its SIMD build defines an
 * ordinary memory with a maximum of 65536 pages. While tfjs instantiates that build, we mark its memory
 * shared (one flag byte, `binary.ts`): the heap becomes a `SharedArrayBuffer` and everything else in
 * tfjs is unchanged (single-threaded ops, growth by `memory.grow`). Our workers then instantiate our
 * kernel modules against the same memory: no copies in or out, and no second pool fighting ours.
 */
import { hasSharedMemory, memoryLimits, wasmImports, withSharedMemory } from './binary';

/** Whether this JavaScript context may create and share a shared memory (a page needs isolation). */
export function sharedMemoryAllowed(): { allowed: boolean; reason?: string } {
  const g = globalThis as { crossOriginIsolated?: boolean; process?: { versions?: { node?: string } } };
  const isNode = typeof g.process?.versions?.node === 'string';
  // A page that is not isolated has no SharedArrayBuffer at all: name the cause, not the symptom.
  if (!isNode && g.crossOriginIsolated !== true) {
    return {
      allowed: false,
      reason:
        'the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and ' +
        'Cross-Origin-Embedder-Policy: require-corp)',
    };
  }
  if (typeof SharedArrayBuffer === 'undefined') {
    return { allowed: false, reason: 'SharedArrayBuffer is not available' };
  }
  return { allowed: true };
}

/** Whether `bytes` is tfjs-backend-wasm's Emscripten module: it defines its memory and grows it itself. */
function isTfjsBackendModule(bytes: Uint8Array): boolean {
  try {
    const memories = memoryLimits(bytes);
    return (
      memories.length === 1 &&
      memories[0]!.kind === 'definition' &&
      !hasSharedMemory(bytes) &&
      wasmImports(bytes).some((i) => i.name === 'emscripten_resize_heap')
    );
  } catch {
    return false;
  }
}

function asBytes(source: unknown): Uint8Array | undefined {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  return undefined;
}

/**
 * Runs `init` (tfjs's backend initialisation) with `WebAssembly.instantiate` and
 * `instantiateStreaming` wrapped so that tfjs's module gets a shared memory; restores them afterwards.
 * A module that fails to instantiate with a shared memory is instantiated as it was.
 */
export async function withSharedTfjsMemory<T>(init: () => Promise<T>): Promise<T> {
  const wasm = WebAssembly as unknown as {
    instantiate: (source: unknown, imports?: unknown) => Promise<unknown>;
    instantiateStreaming?: (source: unknown, imports?: unknown) => Promise<unknown>;
  };
  const instantiate = wasm.instantiate;
  const instantiateStreaming = wasm.instantiateStreaming;
  const patched = (source: unknown, imports?: unknown): Promise<unknown> => {
    const bytes = asBytes(source);
    if (bytes === undefined || !isTfjsBackendModule(bytes))
      return instantiate.call(WebAssembly, source, imports);
    const shared = withSharedMemory(bytes);
    if (shared === undefined) return instantiate.call(WebAssembly, source, imports);
    return instantiate
      .call(WebAssembly, shared, imports)
      .catch(() => instantiate.call(WebAssembly, source, imports));
  };
  wasm.instantiate = patched;
  if (instantiateStreaming !== undefined) {
    // The bytes are needed to patch them: read the response, then instantiate as above.
    wasm.instantiateStreaming = async (source: unknown, imports?: unknown) => {
      const response = (await source) as Response;
      return patched(await response.arrayBuffer(), imports);
    };
  }
  try {
    return await init();
  } finally {
    wasm.instantiate = instantiate;
    if (instantiateStreaming !== undefined) wasm.instantiateStreaming = instantiateStreaming;
  }
}
