/**
 * The ONNX Runtime Web peer of the decoder-only benchmark: onnxruntime-web's WASM backend (what
 * transformers.js runs) on the graph peers/causal_export_onnx.py exported from the PyTorch Llama.
 * The first step passes an empty past (length 0), as transformers.js does with a merged decoder.
 *
 *   tsx bench/engines/causal-ort.ts SPEC_JSON [--threads N]      prefill and cached greedy decoding
 *   tsx bench/engines/causal-ort.ts --check MODEL_DIR ONNX_FILE  greedy tokens of a fixture model vs
 *                                                                its reference.json, prompt by prompt
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import type { CausalResult, CausalSpec } from '../causal-spec';
import { peakRssBytes, timed } from '../spec';

const threadsFlag = process.argv.indexOf('--threads');
ort.env.wasm.numThreads = threadsFlag > 0 ? Number(process.argv[threadsFlag + 1]) : 1;

interface Shape {
  layers: number;
  kvHeads: number;
  headDim: number;
}

function shapeOf(modelDir: string): Shape {
  const c = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as Record<string, number>;
  return {
    layers: c.num_hidden_layers!,
    kvHeads: c.num_key_value_heads ?? c.num_attention_heads!,
    headDim: c.head_dim ?? c.hidden_size! / c.num_attention_heads!,
  };
}

function int64Row(values: readonly number[]): ort.Tensor {
  return new ort.Tensor(
    'int64',
    BigInt64Array.from(values, (v) => BigInt(v)),
    [1, values.length],
  );
}

function argmax(logits: ort.Tensor): number {
  const data = logits.data as Float32Array;
  const vocab = logits.dims[logits.dims.length - 1]!;
  const base = data.length - vocab;
  let best = 0;
  for (let v = 1; v < vocab; v++) if (data[base + v]! > data[base + best]!) best = v;
  return best;
}

type Past = Record<string, ort.Tensor>;

function emptyPast(shape: Shape): Past {
  const past: Past = {};
  for (let i = 0; i < shape.layers; i++) {
    for (const part of ['key', 'value']) {
      past[`past_key_values.${i}.${part}`] = new ort.Tensor('float32', new Float32Array(0), [
        1,
        shape.kvHeads,
        0,
        shape.headDim,
      ]);
    }
  }
  return past;
}

/** One run of the graph on `ids` at positions `start…`: the argmax of the last position, and the cache. */
async function step(
  session: ort.InferenceSession,
  ids: readonly number[],
  start: number,
  past: Past,
): Promise<{ token: number; past: Past; logits: ort.Tensor }> {
  const outputs = await session.run({
    input_ids: int64Row(ids),
    position_ids: int64Row(ids.map((_, i) => start + i)),
    ...past,
  });
  const next: Past = {};
  for (const [name, tensor] of Object.entries(outputs)) {
    if (name.startsWith('present.')) next[name.replace('present.', 'past_key_values.')] = tensor;
  }
  return { token: argmax(outputs.logits!), past: next, logits: outputs.logits! };
}

/** The prefill's token, then `steps` greedy tokens with the cache. */
async function greedy(
  session: ort.InferenceSession,
  shape: Shape,
  prompt: readonly number[],
  steps: number,
): Promise<number[]> {
  let { token, past } = await step(session, prompt, 0, emptyPast(shape));
  const tokens = [token];
  for (let s = 0; s < steps; s++) {
    ({ token, past } = await step(session, [token], prompt.length + s, past));
    tokens.push(token);
  }
  return tokens;
}

function load(file: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(readFileSync(file), {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
}

async function measure(spec: CausalSpec): Promise<CausalResult> {
  const shape = shapeOf(spec.modelDir);
  const session = await load(spec.onnxFile);
  const prompt = spec.promptIds;
  const result: CausalResult = {
    engine: `onnxruntime-web ${ort.env.versions.web} (wasm, numThreads ${ort.env.wasm.numThreads})`,
  };
  result.prefill = await timed(() => step(session, prompt, 0, emptyPast(shape)), spec.warmup, spec.repeats);
  const start = await step(session, prompt, 0, emptyPast(shape));
  const last = start.logits.data as Float32Array;
  const ids = [...last.keys()].sort((a, b) => last[b]! - last[a]!).slice(0, 5);
  result.prefill_top5 = { ids, logits: ids.map((i) => last[i]!) };
  const decode = async () => {
    let { token, past } = start;
    for (let s = 0; s < spec.decodeSteps; s++)
      ({ token, past } = await step(session, [token], prompt.length + s, past));
  };
  result.decode = await timed(decode, spec.warmup, spec.repeats);
  result.greedy_tokens = await greedy(session, shape, prompt, spec.decodeSteps);
  // onnxruntime-web runs inference only (its training build is not part of the package).
  result.train_error = 'no training in onnxruntime-web';
  result.peak_rss_bytes = peakRssBytes();
  return result;
}

async function checkFixture(modelDir: string, onnxFile: string): Promise<void> {
  const reference = JSON.parse(readFileSync(join(modelDir, 'reference.json'), 'utf8')) as {
    greedy_generation: { prompts: number[][]; max_new_tokens: number; new_tokens_one_by_one: number[][] };
  };
  const { prompts, max_new_tokens: n, new_tokens_one_by_one: expected } = reference.greedy_generation;
  const session = await load(onnxFile);
  const shape = shapeOf(modelDir);
  const rows: number[][] = [];
  for (const prompt of prompts) rows.push(await greedy(session, shape, prompt, n - 1));
  const ok = JSON.stringify(rows) === JSON.stringify(expected);
  console.log(JSON.stringify({ model: modelDir, greedy_tokens_identical: ok, tokens: rows }));
  if (!ok) process.exitCode = 1;
}

const args = process.argv.slice(2);
if (args[0] === '--check') await checkFixture(args[1]!, args[2]!);
else console.log(JSON.stringify(await measure(JSON.parse(readFileSync(args[0]!, 'utf8')) as CausalSpec)));
