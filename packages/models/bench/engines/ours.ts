/**
 * Ours: `T5Model` on tfjs-backend-wasm with our kernels, on `--threads N` threads (default 1).
 *
 *   tsx bench/engines/ours.ts SPEC_JSON --phase infer [--threads N]              encoder and greedy decode
 *   tsx bench/engines/ours.ts SPEC_JSON --phase train --batch B [--threads N]    one training step at batch B
 *   tsx bench/engines/ours.ts SPEC_JSON --phase scaling                          1 vs 2 threads, interleaved
 *
 * One JSON line on stdout. The training step runs in its own process per batch size because an
 * exhausted wasm heap aborts the WebAssembly module for good; an abort is reported as `train_error`.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { parseSafetensors, readFloat32, type NamedFloat32Tensor } from '../../src/checkpoint/safetensors';
import { parseT5Config } from '../../src/t5/config';
import { setNumThreads } from '../../src/threads/index';
import { T5Model } from '../../src/t5/model';
import { simd128PeakGflops } from '../simd-peak';
import type { ScalingRun } from '../threads-report';
import { trainStep } from './ours-train';
import { heapExhausted, initOursBackend, oursEngine, wasmHeapBytes } from './ours-wasm';
import { median, peakRssBytes, timed, type BenchSpec, type EngineResult } from '../spec';

async function loadModel(spec: BenchSpec): Promise<T5Model> {
  const config = parseT5Config(JSON.parse(readFileSync(spec.config, 'utf8')), spec.config);
  const file = parseSafetensors(readFileSync(spec.weights), spec.weights);
  const tensors = new Map<string, NamedFloat32Tensor>();
  for (const [name, entry] of file.tensors)
    tensors.set(name, { name, shape: entry.shape, data: readFloat32(file, name) });
  return T5Model.fromTensors(config, tensors);
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
    const exhausted = heapExhausted();
    result.train_error = exhausted ? `${exhausted}: ${message}` : message;
  }
  result.peak_wasm_heap_bytes = wasmHeapBytes();
  try {
    tf.dispose(Object.values(batchInputs));
  } catch {
    // the module has aborted: nothing left to free
  }
}

/**
 * The scaling 1 → 2 threads measured in one process, switching the thread count round by round (the
 * order alternating): on a shared host whose speed drifts between runs, separate runs at 1 and at 2
 * threads compare different moments; interleaved rounds compare neighbouring ones.
 */
async function scaling(spec: BenchSpec, model: T5Model): Promise<ScalingRun> {
  const batch = (rows: number) => {
    const inputIds = ids(spec.inputs.input_ids.slice(0, rows));
    return {
      inputIds,
      attentionMask: tf.onesLike(inputIds),
      decoderInputIds: ids(spec.inputs.decoder_input_ids.slice(0, rows)),
      labels: ids(spec.inputs.labels.slice(0, rows)),
    };
  };
  const [b1, b8] = [batch(1), batch(8)];
  const encode = (b: typeof b1) => async () => {
    const out = model.encode(b.inputIds, b.attentionMask);
    await out.data();
    out.dispose();
  };
  const measurements: [string, () => Promise<unknown>][] = [
    ['encoder_b1', encode(b1)],
    ['encoder_b8', encode(b8)],
    ['train_step', () => trainStep(model, b8)],
  ];
  const rounds = spec.repeats;
  const ratios: Record<string, number[]> = {};
  for (const [key, run] of measurements) {
    ratios[key] = [];
    for (const threads of [1, 2]) {
      await setNumThreads(threads);
      await run(); // warm-up at each count
    }
    for (let r = 0; r < rounds; r++) {
      const wall: Record<number, number> = {};
      for (const threads of r % 2 === 0 ? [1, 2] : [2, 1]) {
        await setNumThreads(threads);
        const t0 = performance.now();
        await run();
        wall[threads] = performance.now() - t0;
      }
      ratios[key].push(wall[1]! / wall[2]!);
    }
  }
  tf.dispose([...Object.values(b1), ...Object.values(b8)]);
  const out: ScalingRun = { rounds, scaling: {} };
  for (const [key, xs] of Object.entries(ratios))
    out.scaling[key] = { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
  return out;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const spec = JSON.parse(readFileSync(args[0]!, 'utf8')) as BenchSpec;
  const option = (name: string) => args[args.indexOf(name) + 1];
  const threads = await initOursBackend(args.includes('--threads') ? Number(option('--threads')) : 1);
  const model = await loadModel(spec);
  if (option('--phase') === 'scaling') {
    if (threads.inUse < 2) throw new Error('--phase scaling needs --threads 2');
    const result = await scaling(spec, model);
    process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
    return;
  }
  const result: EngineResult = {
    engine: oursEngine('T5Model'),
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
