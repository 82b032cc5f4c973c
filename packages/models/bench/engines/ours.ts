/**
 * Ours: `T5Model` on tfjs-backend-wasm with our kernels, on `--threads N` threads (default 1).
 *
 *   tsx bench/engines/ours.ts SPEC_JSON --phase infer [--threads N]              encoder and greedy decode
 *   tsx bench/engines/ours.ts SPEC_JSON --phase train --batch B [--threads N]    one training step at batch B
 *
 * One JSON line on stdout. The training step runs in its own process per batch size because an
 * exhausted wasm heap aborts the WebAssembly module for good; an abort is reported as `train_error`.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { parseSafetensors, readFloat32, type NamedFloat32Tensor } from '../../src/checkpoint/safetensors';
import { parseT5Config } from '../../src/t5/config';
import { initBackend } from '../../src/backend/index';
import { gemmUsesFusedMultiplyAdd } from '../../src/kernels/wasm/gemm';
import { threadStatus } from '../../src/threads/index';
import { T5Model } from '../../src/t5/model';
import { simd128PeakGflops } from '../simd-peak';
import { trainStep } from './ours-train';
import { peakRssBytes, timed, type BenchSpec, type EngineResult } from '../spec';

async function loadModel(spec: BenchSpec): Promise<T5Model> {
  const config = parseT5Config(JSON.parse(readFileSync(spec.config, 'utf8')), spec.config);
  const file = parseSafetensors(readFileSync(spec.weights), spec.weights);
  const tensors = new Map<string, NamedFloat32Tensor>();
  for (const [name, entry] of file.tensors)
    tensors.set(name, { name, shape: entry.shape, data: readFloat32(file, name) });
  return T5Model.fromTensors(config, tensors);
}

/** wasm32's ceiling as tfjs-backend-wasm is built (4 GiB less one 64 KiB page). */
const WASM_HEAP_MAX = 4294901760;

function wasmHeapBytes(): number | undefined {
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return backend.wasm?.HEAPU8?.byteLength;
}

function ids(rows: number[][]): tf.Tensor2D {
  return tf.tensor2d(rows, [rows.length, rows[0]!.length], 'int32');
}

async function infer(spec: BenchSpec, model: T5Model, result: EngineResult): Promise<void> {
  for (const batch of spec.encoder_batches) {
    const inputIds = ids(spec.inputs.input_ids.slice(0, batch));
    const mask = tf.onesLike(inputIds);
    result.timings[`encoder_b${batch}`] = await timed(
      async () => {
        const out = model.encode(inputIds, mask);
        await out.data();
        out.dispose();
      },
      spec.warmup,
      spec.repeats,
    );
    tf.dispose([inputIds, mask]);
  }
  const inputIds = ids(spec.inputs.input_ids.slice(0, 1));
  const mask = tf.onesLike(inputIds);
  const encoded = model.encode(inputIds, mask);
  result.encoder_checksum = (await tf.sum(encoded).data())[0];

  // Fixed length (no eos stop) so every engine decodes the same number of steps; the argmax is read
  // back each step, as a generation loop must.
  const greedy = async (): Promise<number[]> => {
    const tokens: number[] = [];
    let token = 0;
    let cache: Parameters<T5Model['decode']>[3];
    for (let step = 0; step < spec.decode_new_tokens; step++) {
      const input = tf.tensor2d([[token]], [1, 1], 'int32');
      const { logits, cache: next } = model.decode(input, encoded, mask, cache);
      cache?.dispose();
      cache = next;
      const best = tf.argMax(tf.reshape(logits, [-1]));
      token = (await best.data())[0]!;
      tokens.push(token);
      tf.dispose([input, logits, best]);
    }
    cache?.dispose();
    return tokens;
  };
  result.timings.greedy_decode = await timed(greedy, spec.warmup, spec.repeats);
  result.greedy_tokens = await greedy();
  tf.dispose([inputIds, mask, encoded]);
}

async function train(spec: BenchSpec, model: T5Model, batch: number, result: EngineResult): Promise<void> {
  const inputIds = ids(spec.inputs.input_ids.slice(0, batch));
  const batchInputs = {
    inputIds,
    attentionMask: tf.onesLike(inputIds),
    decoderInputIds: ids(spec.inputs.decoder_input_ids.slice(0, batch)),
    labels: ids(spec.inputs.labels.slice(0, batch)),
  };
  result.train_batch = batch;
  const step = () => trainStep(model, batchInputs);
  try {
    // The first warm-up step runs profiled (profiling reads every kernel's output back, so it is
    // never timed) for the loss and the peak bytes held by tensors.
    let loss = NaN;
    const profile = await tf.profile(async () => {
      loss = await step();
      return [];
    });
    result.train_loss = loss;
    result.peak_tensor_bytes = profile.peakBytes;
    result.timings.train_step = await timed(step, spec.train_warmup - 1, spec.train_repeats);
  } catch (error) {
    const message = (error as Error).message.split('\n')[0]!.slice(0, 200);
    const heap = wasmHeapBytes() ?? 0;
    // After an exhausted heap the module aborts, and what surfaces first may be a follow-on error.
    result.train_error =
      heap >= WASM_HEAP_MAX - 64 * 2 ** 20
        ? `out of memory (the wasm heap reached ${Math.round(heap / 2 ** 20)} MiB of 4 GiB): ${message}`
        : message;
  }
  result.peak_wasm_heap_bytes = wasmHeapBytes();
  try {
    tf.dispose(Object.values(batchInputs));
  } catch {
    // the module has aborted: nothing left to free
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const spec = JSON.parse(readFileSync(args[0]!, 'utf8')) as BenchSpec;
  const option = (name: string) => args[args.indexOf(name) + 1];
  await initBackend('wasm', { threads: args.includes('--threads') ? Number(option('--threads')) : 1 });
  const threads = threadStatus();
  if (threads.reason) throw new Error(`${threads.inUse} of ${threads.requested} threads: ${threads.reason}`);
  const model = await loadModel(spec);
  const result: EngineResult = {
    engine:
      `@flan-ts/models T5Model, tfjs-backend-wasm ${tf.version_core} (${threads.inUse} thread(s), ` +
      `${gemmUsesFusedMultiplyAdd() ? 'fused multiply-add' : 'mul + add'} GEMM)`,
    timings: {},
  };
  if (option('--phase') === 'train') {
    await train(spec, model, Number(option('--batch') ?? spec.train_batch), result);
  } else {
    // One untimed pass over every measurement first: V8 tiers the wasm code up on background
    // threads, which would otherwise land in the first measurement's CPU time.
    await infer({ ...spec, warmup: 0, repeats: 1 }, model, { engine: '', timings: {} });
    await infer(spec, model, result);
    result.simd128_peak_gflops = await simd128PeakGflops();
  }
  result.peak_rss_bytes = peakRssBytes();
  // Exit explicitly once the line is out: an aborted wasm module rethrows its abort later, which
  // would turn a reported out-of-memory into a crash.
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}

await main();
