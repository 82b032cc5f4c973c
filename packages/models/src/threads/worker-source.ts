/**
 * The source of a kernel worker, as a string: Node runs it with `new Worker(source, { eval: true })`,
 * a browser from a `blob:` URL, so the package needs no separate worker file for bundlers to find.
 *
 * The worker instantiates the kernel modules (GEMM, and the fused norms, activations and softmax)
 * against the shared heap, says `ready`, then serves jobs until told to stop, blocked in `Atomics.wait`
 * in between (no event loop turn per job). Control block of worker `slot` (Int32Array words at
 * `slot * CONTROL_STRIDE`): see `ControlWord` in `pool.ts`. A job is `count` entries of `ENTRY_WORDS`
 * 32-bit words at byte `jobPointer` of the heap: the op (`GEMM_OP`, or `fusedOp(name)`), then the arguments of one call;
 * a call's result, if any, goes to word `RESULT_WORD`. It requires `worker_threads` without the `node:`
 * prefix so that a browser bundle holds no `require("node:...")` text (test/browser.test.ts rejects one).
 */

/** 32-bit words per job entry: the op, up to 14 arguments, the result. */
export const ENTRY_WORDS = 16;

/** The entry word a call's return value is written to. */
export const RESULT_WORD = 15;

/** Op 0 of an entry: the GEMM module's `gemm` (13 integer arguments). */
export const GEMM_OP = 0;

/**
 * The fused module's functions a worker can run, with their argument types (`i`: a 32-bit integer or
 * pointer, `f`: a float32 stored as its bits). Op `i + 1` of an entry is `FUSED_OPS[i]`.
 */
export const FUSED_OPS = [
  ['rmsNormForward', 'iiiiiif'],
  ['activationForward', 'iiiii'],
  ['activationBackward', 'iiiiiii'],
  ['maskedSoftmax', 'iiiiiiiiiiiiii'],
  ['softmaxBackward', 'iiiii'],
  ['crossEntropyForward', 'iiiiiiff'],
  ['crossEntropyBackward', 'iiiiiifff'],
] as const;

export type FusedOpName = (typeof FUSED_OPS)[number][0];

const FUSED_OP_OF = new Map<string, number>(FUSED_OPS.map(([name], i) => [name, i + 1]));

/** The entry op of a fused function. */
export function fusedOp(name: FusedOpName): number {
  return FUSED_OP_OF.get(name)!;
}

/** Int32 words per worker in the control buffer (64 bytes: one cache line each, no false sharing). */
export const CONTROL_STRIDE = 16;

export const WORKER_SOURCE = `
'use strict';
const isNode = typeof require === 'function' && typeof process === 'object';
const port = isNode ? require('worker_threads').parentPort : self;
const listen = (handler) => isNode ? port.on('message', handler) : self.addEventListener('message', (e) => handler(e.data));
const FUSED_OPS = ${JSON.stringify(FUSED_OPS)};
listen(async (message) => {
  const { memory, modules, control, slot } = message;
  const env = { memory, abort: () => { throw new Error('wasm kernel aborted'); } };
  let gemm;
  const fused = [];
  try {
    gemm = (await WebAssembly.instantiate(modules.gemm, { env })).exports.gemm;
    if (modules.fused) {
      const exports = (await WebAssembly.instantiate(modules.fused, { env })).exports;
      for (const [name, types] of FUSED_OPS) fused.push([exports[name], types]);
    }
  } catch (error) {
    port.postMessage({ error: String(error && error.message || error) });
    return;
  }
  const ctl = new Int32Array(control, slot * ${CONTROL_STRIDE} * 4, ${CONTROL_STRIDE});
  port.postMessage({ ready: true });
  const args = [];
  let seen = 0;
  for (;;) {
    Atomics.wait(ctl, 0, seen);
    seen = Atomics.load(ctl, 0);
    if (Atomics.load(ctl, 4) !== 0) break;
    try {
      // The heap may have grown since the last job: take fresh views.
      const words = new Uint32Array(memory.buffer);
      const floats = new Float32Array(memory.buffer);
      const count = ctl[3];
      let e = ctl[2] >>> 2;
      for (let i = 0; i < count; i++, e += ${ENTRY_WORDS}) {
        const op = words[e];
        if (op === ${GEMM_OP}) {
          gemm(words[e + 1], words[e + 2], words[e + 3], words[e + 4], words[e + 5], words[e + 6], words[e + 7],
            words[e + 8], words[e + 9], words[e + 10], words[e + 11], words[e + 12], words[e + 13]);
          continue;
        }
        const [fn, types] = fused[op - 1];
        args.length = types.length;
        for (let a = 0; a < types.length; a++) args[a] = types[a] === 'f' ? floats[e + 1 + a] : words[e + 1 + a];
        const result = fn(...args);
        words[e + ${RESULT_WORD}] = result === undefined ? 0 : result;
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
