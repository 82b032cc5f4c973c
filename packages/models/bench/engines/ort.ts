/**
 * The ONNX Runtime Web peer: onnxruntime-web's WASM backend (what transformers.js runs in browsers),
 * on the graphs that peers/export_onnx.py exported from the PyTorch peer.
 *
 *   tsx bench/engines/ort.ts SPEC_JSON [--threads N]
 *                                                measurements (N threads: ort.env.wasm.numThreads, default 1)
 *   tsx bench/engines/ort.ts --check MODEL_DIR ONNX_DIR
 *                                                greedy tokens on a fixture model vs reference.json
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { peakRssBytes, timed, type BenchSpec, type EngineResult } from '../spec';

const threadsFlag = process.argv.indexOf('--threads');
ort.env.wasm.numThreads = threadsFlag > 0 ? Number(process.argv[threadsFlag + 1]) : 1;

interface Graphs {
  encoder: ort.InferenceSession;
  decoder: ort.InferenceSession;
  decoderWithPast: ort.InferenceSession;
}

async function loadGraphs(dir: string): Promise<Graphs> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  };
  const load = (name: string) => ort.InferenceSession.create(readFileSync(join(dir, name)), options);
  return {
    encoder: await load('encoder.onnx'),
    decoder: await load('decoder.onnx'),
    decoderWithPast: await load('decoder_with_past.onnx'),
  };
}

function int64(rows: readonly (readonly number[])[]): ort.Tensor {
  const data = BigInt64Array.from(rows.flat(), (v) => BigInt(v));
  return new ort.Tensor('int64', data, [rows.length, rows[0]!.length]);
}

function argmaxLast(logits: ort.Tensor): number[] {
  const [batch, len, vocab] = logits.dims as [number, number, number];
  const data = logits.data as Float32Array;
  const out: number[] = [];
  for (let b = 0; b < batch; b++) {
    const base = (b * len + len - 1) * vocab;
    let best = 0;
    for (let v = 1; v < vocab; v++) if (data[base + v]! > data[base + best]!) best = v;
    out.push(best);
  }
  return out;
}

/**
 * Greedy decoding with the key/value cache. With `stopAtEos`, rows that emitted eos 1 go on with pad
 * 0 and decoding stops once all have (Hugging Face generate); without it, exactly `maxNewTokens` steps.
 */
async function greedy(
  graphs: Graphs,
  encoderHiddenStates: ort.Tensor,
  attentionMask: ort.Tensor,
  maxNewTokens: number,
  stopAtEos: boolean,
): Promise<number[][]> {
  const batch = attentionMask.dims[0]!;
  let tokens = new Array<number>(batch).fill(0);
  const finished = new Array<boolean>(batch).fill(false);
  const steps: number[][] = [];
  const cache: Record<string, ort.Tensor> = {};
  for (let step = 0; step < maxNewTokens; step++) {
    const inputIds = int64(tokens.map((t) => [t]));
    const outputs =
      step === 0
        ? await graphs.decoder.run({
            input_ids: inputIds,
            encoder_attention_mask: attentionMask,
            encoder_hidden_states: encoderHiddenStates,
          })
        : await graphs.decoderWithPast.run({
            input_ids: inputIds,
            encoder_attention_mask: attentionMask,
            ...cache,
          });
    for (const [name, tensor] of Object.entries(outputs)) {
      if (name.startsWith('present.')) cache[name.replace('present.', 'past_key_values.')] = tensor;
    }
    tokens = argmaxLast(outputs.logits!).map((t, b) => (finished[b] ? 0 : t));
    steps.push(tokens);
    if (stopAtEos) {
      tokens.forEach((t, b) => (finished[b] ||= t === 1));
      if (finished.every(Boolean)) break;
    }
  }
  return Array.from({ length: batch }, (_, b) => steps.map((s) => s[b]!));
}

async function encode(graphs: Graphs, inputIds: ort.Tensor, attentionMask: ort.Tensor): Promise<ort.Tensor> {
  const outputs = await graphs.encoder.run({ input_ids: inputIds, attention_mask: attentionMask });
  return outputs.last_hidden_state!;
}

async function measure(spec: BenchSpec): Promise<EngineResult> {
  const graphs = await loadGraphs(spec.onnxDir);
  // One untimed pass over every measurement first: V8 tiers the wasm code up on background
  // threads, which would otherwise land in the first measurement's CPU time.
  await measureWith(graphs, { ...spec, warmup: 0, repeats: 1 });
  return measureWith(graphs, spec);
}

async function measureWith(graphs: Graphs, spec: BenchSpec): Promise<EngineResult> {
  const result: EngineResult = {
    engine: `onnxruntime-web ${ort.env.versions.web} (wasm, numThreads ${ort.env.wasm.numThreads})`,
    timings: {},
  };
  const ids = spec.inputs.input_ids;
  for (const batch of spec.encoder_batches) {
    const inputIds = int64(ids.slice(0, batch));
    const mask = int64(ids.slice(0, batch).map((row) => row.map(() => 1)));
    result.timings[`encoder_b${batch}`] = await timed(
      () => encode(graphs, inputIds, mask),
      spec.warmup,
      spec.repeats,
    );
  }
  const inputIds = int64(ids.slice(0, 1));
  const mask = int64([ids[0]!.map(() => 1)]);
  const hidden = await encode(graphs, inputIds, mask);
  result.encoder_checksum = (hidden.data as Float32Array).reduce((a, b) => a + b, 0);
  result.timings.greedy_decode = await timed(
    () => greedy(graphs, hidden, mask, spec.decode_new_tokens, false),
    spec.warmup,
    spec.repeats,
  );
  result.greedy_tokens = (await greedy(graphs, hidden, mask, spec.decode_new_tokens, false))[0];
  // onnxruntime-web runs inference only (its training build is not part of the package).
  result.train_error = 'no training in onnxruntime-web';
  result.peak_rss_bytes = peakRssBytes();
  return result;
}

async function checkFixture(modelDir: string, onnxDir: string): Promise<void> {
  const reference = JSON.parse(readFileSync(join(modelDir, 'reference.json'), 'utf8'));
  const graphs = await loadGraphs(onnxDir);
  const mask = int64(reference.inputs.attention_mask);
  const hidden = await encode(graphs, int64(reference.inputs.input_ids), mask);
  const expected: number[][] = reference.greedy_generation.new_tokens;
  const rows = await greedy(graphs, hidden, mask, reference.greedy_generation.max_new_tokens, true);
  const newTokens = rows.map((row) => (row.includes(1) ? row.slice(0, row.indexOf(1) + 1) : row));
  const ok = JSON.stringify(newTokens) === JSON.stringify(expected);
  console.log(JSON.stringify({ model: modelDir, greedy_tokens_identical: ok }));
  if (!ok) process.exitCode = 1;
}

const args = process.argv.slice(2);
if (args[0] === '--check') await checkFixture(args[1]!, args[2]!);
else console.log(JSON.stringify(await measure(JSON.parse(readFileSync(args[0]!, 'utf8')) as BenchSpec)));
