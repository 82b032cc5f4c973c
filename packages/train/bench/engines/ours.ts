/**
 * Ours: `Trainer` (t5x Adafactor) from @flan-ts/train on a `T5Model`, tfjs-backend-wasm, one thread.
 *
 *   tsx --conditions=@flan-ts/source bench/engines/ours.ts CASE_JSON [--recompute]
 *
 * One JSON line (`CaseResult`) on stdout. The step split: the Trainer's `gradients` hook runs the same
 * `tf.variableGrads(() => crossEntropyLoss(model.forwardLogits2d(batch)))` as models' `computeGradients`
 * and notes the time when the loss is computed (wasm runs kernels synchronously, so that is the end of
 * the forward pass); the rest of the hook is the backward pass. The optimizer's `update` is timed by
 * wrapping it. What remains of the step (id arrays to tensors, accumulation sums, the global norm and
 * its read-back) is counted in neither.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import {
  crossEntropyLoss,
  initBackend,
  parseT5Config,
  T5Model,
  type GradientOptions,
  type LossAndGradients,
  type TrainingBatch,
} from '@flan-ts/models';
import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import {
  parseSafetensors,
  readFloat32,
  type NamedFloat32Tensor,
} from '../../../models/src/checkpoint/safetensors';
import { applyLora, Trainer } from '../../src/index';
import { stepTokens, type CaseResult, type StepTiming, type TrainCase } from '../spec';

/** wasm32's ceiling as tfjs-backend-wasm is built (4 GiB less one 64 KiB page). */
const WASM_HEAP_MAX = 4294901760;

function wasmHeapBytes(): number | undefined {
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return backend.wasm?.HEAPU8?.byteLength;
}

function loadModel(c: TrainCase): T5Model {
  const config = parseT5Config(JSON.parse(readFileSync(c.config, 'utf8')), c.config);
  const file = parseSafetensors(readFileSync(c.weights), c.weights);
  const tensors = new Map<string, NamedFloat32Tensor>();
  for (const [name, entry] of file.tensors)
    tensors.set(name, { name, shape: entry.shape, data: readFloat32(file, name) });
  return T5Model.fromTensors(config, tensors);
}

const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const c = JSON.parse(readFileSync(args[0]!, 'utf8')) as TrainCase;
  const recompute = args.includes('--recompute');
  await initBackend('wasm');
  const model = loadModel(c);
  const result: CaseResult = {
    engine: `@flan-ts/train Trainer, tfjs-backend-wasm ${tf.version_core} (1 thread)`,
    case: c.name,
    losses: [],
    timings: [],
    useful_tokens: [],
    shape_tokens: [],
    recompute,
  };

  let forward = 0;
  let backward = 0;
  let optimizer = 0;
  const gradients = (batch: TrainingBatch, options: GradientOptions): LossAndGradients => {
    const variables = options.variables!;
    const names = [...variables.keys()];
    const vars: Variable[] = names.map((n) => variables.get(n)!);
    const started = performance.now();
    let lossAt = started;
    const { value, grads } = tf.variableGrads(() => {
      const loss = crossEntropyLoss(model.forwardLogits2d(batch, options), batch.labels, options);
      lossAt = performance.now();
      return loss;
    }, vars);
    const done = performance.now();
    forward += (lossAt - started) / 1000;
    backward += (done - lossAt) / 1000;
    const nameOf = new Map(vars.map((v, i) => [v.name, names[i]!]));
    const byName = new Map<string, Tensor>();
    for (const [varName, grad] of Object.entries(grads))
      if (grad !== null) byName.set(nameOf.get(varName)!, grad);
    return { loss: value, grads: byName };
  };

  const adapter = c.lora ? applyLora(model, c.lora, 1) : undefined;
  const trainable = adapter ? adapter.variables() : model.parameters();
  result.trainable_parameters = [...trainable.values()].reduce((n, v) => n + v.size, 0);
  const trainer = new Trainer(model, {
    optimizer: { name: 'adafactor-t5x', learningRate: c.learningRate },
    trainable,
    gradients,
    recompute,
    training: false, // no dropout: the peer runs the same deterministic step
  });
  const opt = (trainer as unknown as { optimizer: { update: (...a: unknown[]) => void } }).optimizer;
  const update = opt.update.bind(opt);
  opt.update = (...a: unknown[]) => {
    const started = performance.now();
    update(...a);
    optimizer += (performance.now() - started) / 1000;
  };

  try {
    for (const [i, micro] of c.steps.entries()) {
      forward = backward = optimizer = 0;
      const wall = performance.now();
      const cpu = cpuSeconds();
      const { loss } = await trainer.step(micro);
      const timing: StepTiming = {
        step_s: (performance.now() - wall) / 1000,
        forward_s: forward,
        backward_s: backward,
        optimizer_s: optimizer,
        cpu_s: cpuSeconds() - cpu,
      };
      result.losses.push(loss);
      process.stderr.write(
        `[ours ${c.name}] step ${i + 1}/${c.steps.length}: loss ${loss.toFixed(4)}, ${timing.step_s.toFixed(1)} s, heap ${Math.round((wasmHeapBytes() ?? 0) / 2 ** 20)} MiB\n`,
      );
      if (i < c.warmup) continue;
      const tokens = stepTokens(micro);
      result.timings.push(timing);
      result.useful_tokens.push(tokens.useful);
      result.shape_tokens.push(tokens.shape);
    }
  } catch (error) {
    const message = (error as Error).message.split('\n')[0]!.slice(0, 200);
    const heap = wasmHeapBytes() ?? 0;
    // After an exhausted heap the module aborts, and what surfaces first may be a follow-on error.
    result.error =
      heap >= WASM_HEAP_MAX - 64 * 2 ** 20 ||
      (heap >= WASM_HEAP_MAX - 256 * 2 ** 20 && /out of bounds|Aborted/.test(message))
        ? `out of memory (the wasm heap reached ${Math.round(heap / 2 ** 20)} MiB of 4 GiB): ${message}`
        : message;
  }
  result.peak_wasm_heap_bytes = wasmHeapBytes();
  result.peak_rss_bytes = process.resourceUsage().maxRSS * 1024;
  // Exit explicitly once the line is out: an aborted wasm module rethrows its abort later.
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}

await main();
