/**
 * The source of a kernel worker, as a string: Node runs it with `new Worker(source, { eval: true })`,
 * a browser from a `blob:` URL, so the package needs no separate worker file for bundlers to find.
 *
 * The worker instantiates the GEMM module against the shared heap, says `ready`, then serves jobs
 * until told to stop, blocked in `Atomics.wait` in between (no event loop turn per job). Control
 * block of worker `slot` (Int32Array words at `slot * CONTROL_STRIDE`): see `ControlWord` in `pool.ts`.
 * A job is `count` entries of `GEMM_ENTRY_WORDS` u32 words at byte `jobPointer` of the heap, each the
 * arguments of one `gemm` call. It requires `worker_threads` without the `node:` prefix so that a browser
 * bundle holds no `require("node:...")` text (test/browser.test.ts rejects one).
 */
export const GEMM_ENTRY_WORDS = 13;

/** Int32 words per worker in the control buffer (64 bytes: one cache line each, no false sharing). */
export const CONTROL_STRIDE = 16;

export const WORKER_SOURCE = `
'use strict';
const isNode = typeof require === 'function' && typeof process === 'object';
const port = isNode ? require('worker_threads').parentPort : self;
const listen = (handler) => isNode ? port.on('message', handler) : self.addEventListener('message', (e) => handler(e.data));
listen(async (message) => {
  const { memory, module, control, slot } = message;
  let gemm;
  try {
    const instance = await WebAssembly.instantiate(module, {
      env: { memory, abort: () => { throw new Error('wasm kernel aborted'); } },
    });
    gemm = instance.exports.gemm;
  } catch (error) {
    port.postMessage({ error: String(error && error.message || error) });
    return;
  }
  const ctl = new Int32Array(control, slot * ${CONTROL_STRIDE} * 4, ${CONTROL_STRIDE});
  port.postMessage({ ready: true });
  let seen = 0;
  for (;;) {
    Atomics.wait(ctl, 0, seen);
    seen = Atomics.load(ctl, 0);
    if (Atomics.load(ctl, 4) !== 0) break;
    try {
      // The heap may have grown since the last job: take a fresh view.
      const heap = new Uint32Array(memory.buffer);
      const count = ctl[3];
      let e = ctl[2] >>> 2;
      for (let i = 0; i < count; i++, e += ${GEMM_ENTRY_WORDS}) {
        gemm(heap[e], heap[e + 1], heap[e + 2], heap[e + 3], heap[e + 4], heap[e + 5], heap[e + 6],
          heap[e + 7], heap[e + 8], heap[e + 9], heap[e + 10], heap[e + 11], heap[e + 12]);
      }
    } catch (error) {
      Atomics.store(ctl, 5, 1);
    }
    Atomics.store(ctl, 1, seen);
    Atomics.notify(ctl, 1);
  }
  if (isNode) port.close();
  else self.close();
});
`;
