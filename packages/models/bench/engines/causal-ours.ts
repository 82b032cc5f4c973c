/**
 * Ours in the decoder-only benchmark: `CausalLMModel` on tfjs-backend-wasm with our kernels.
 *
 *   tsx bench/engines/causal-ours.ts SPEC_JSON --phase infer                      prefill and cached greedy decoding
 *   tsx bench/engines/causal-ours.ts SPEC_JSON --phase train --mode full|lora --batch B [--recompute]
 *                                                                                  one training step's forward + backward
 *
 * Threads: the spec's. One JSON line on stdout. A training step runs in its own process per attempt
 * because an exhausted wasm heap aborts the WebAssembly module for good; that is reported as `train_error`.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type { Variable } from '@tensorflow/tfjs-core';
import { computeCausalGradients } from '../../src/causal/gradients';
import type { CausalLMModel } from '../../src/causal/model';
import { loadCausalLM } from '../../src/checkpoint/node/causal';
import { parseSafetensors, readFloat32 } from '../../src/checkpoint/safetensors';
import type { DecoderCache } from '../../src/t5/interface';
import type { CausalResult, CausalSpec, TrainMode } from '../causal-spec';
import { peakRssBytes, timed } from '../spec';
import { heapExhausted, initOursBackend, oursEngine, wasmHeapBytes } from './ours-wasm';

async function argmaxOf(logits: tf.Tensor): Promise<number> {
  const best = tf.argMax(tf.reshape(logits, [-1]));
  const token = (await best.data())[0]!;
  best.dispose();
  return token;
}

async function infer(spec: CausalSpec, model: CausalLMModel, result: CausalResult): Promise<void> {
  const n = spec.promptIds.length;
  const prompt = tf.tensor2d([spec.promptIds], [1, n], 'int32');
  const prefill = async (): Promise<{ token: number; cache: DecoderCache }> => {
    const { logits, cache } = model.decode({ inputIds: prompt }, undefined, { lastPositionOnly: true });
    const token = await argmaxOf(logits);
    logits.dispose();
    return { token, cache };
  };
  result.prefill = await timed(async () => (await prefill()).cache.dispose(), spec.warmup, spec.repeats);
  const start = await prefill();
  const { logits } = model.decode({ inputIds: prompt }, undefined, { lastPositionOnly: true });
  const top = tf.topk(tf.reshape(logits, [-1]), 5);
  result.prefill_top5 = { ids: [...(await top.indices.data())], logits: [...(await top.values.data())] };
  tf.dispose([logits, top.indices, top.values]);
  // Fixed length (no eos stop) so every engine decodes the same steps; the argmax is read back each
  // step, as a generation loop must.
  const decode = async (): Promise<number[]> => {
    let { token, cache } = start;
    const tokens = [token];
    for (let s = 0; s < spec.decodeSteps; s++) {
      const inputIds = tf.tensor2d([[token]], [1, 1], 'int32');
      const positionIds = tf.tensor2d([[n + s]], [1, 1], 'int32');
      const r = model.decode({ inputIds, positionIds }, cache, { lastPositionOnly: true });
      token = await argmaxOf(r.logits);
      tokens.push(token);
      tf.dispose([inputIds, positionIds, r.logits]);
      if (cache !== start.cache) cache.dispose();
      cache = r.cache;
    }
    if (cache !== start.cache) cache.dispose();
    return tokens;
  };
  result.decode = await timed(decode, spec.warmup, spec.repeats);
  result.greedy_tokens = await decode();
  start.cache.dispose();
  prompt.dispose();
}

/** Attaches the spec's adapter (as PEFT's LoRA layers) and returns its variables by PEFT name. */
function attachAdapter(spec: CausalSpec, model: CausalLMModel): Map<string, Variable> {
  const file = parseSafetensors(readFileSync(spec.lora.file), spec.lora.file);
  const variables = new Map<string, Variable>();
  const variable = (name: string) => {
    const entry = file.tensors.get(name);
    if (!entry) throw new Error(`${spec.lora.file} has no ${name}`);
    const v = tf.variable(tf.tensor2d(readFloat32(file, name), entry.shape as [number, number]), true, name);
    variables.set(name, v);
    return v as unknown as tf.Tensor2D;
  };
  for (const module of spec.lora.modules) {
    const a = variable(`base_model.model.${module}.lora_A.weight`);
    const b = variable(`base_model.model.${module}.lora_B.weight`);
    model.setLora(module, { a, b, scale: spec.lora.alpha / spec.lora.r });
  }
  return variables;
}

async function train(
  spec: CausalSpec,
  model: CausalLMModel,
  mode: TrainMode,
  batch: number,
  recompute: boolean,
  result: CausalResult,
): Promise<void> {
  result.train_batch = batch;
  result.train_recompute = recompute;
  try {
    const variables = mode === 'lora' ? attachAdapter(spec, model) : undefined;
    const trainable = variables ?? model.parameters();
    result.trainable_parameters = [...trainable.values()].reduce((s, v) => s + v.size, 0);
    const inputIds = tf.tensor2d(spec.trainIds.slice(0, batch), undefined, 'int32');
    const losses: number[] = [];
    const step = async () => {
      const { loss, grads } = computeCausalGradients(
        model,
        { inputIds, labels: inputIds },
        { recompute, ...(variables ? { variables } : {}) },
      );
      losses.push((await loss.data())[0]!);
      tf.dispose([loss, ...grads.values()]);
    };
    result.train = await timed(step, spec.trainWarmup, spec.trainRepeats);
    result.train_loss = losses[0];
    inputIds.dispose();
  } catch (error) {
    result.train_error = heapExhausted() ?? (error as Error).message.split('\n')[0]!.slice(0, 200);
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const spec = JSON.parse(readFileSync(args[0]!, 'utf8')) as CausalSpec;
  const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  await initOursBackend(spec.threads);
  const model = await loadCausalLM(spec.modelDir);
  const result: CausalResult = {
    engine: oursEngine('CausalLMModel'),
  };
  if (option('--phase') === 'train') {
    const mode = (option('--mode') ?? 'full') as TrainMode;
    await train(
      spec,
      model,
      mode,
      Number(option('--batch') ?? spec.trainIds.length),
      args.includes('--recompute'),
      result,
    );
  } else {
    await infer(spec, model, result);
  }
  result.peak_rss_bytes = peakRssBytes();
  result.peak_wasm_heap_bytes = wasmHeapBytes();
  // Exit explicitly once the line is out: an aborted wasm module rethrows its abort later, which
  // would turn a reported out-of-memory into a crash.
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}

await main();
