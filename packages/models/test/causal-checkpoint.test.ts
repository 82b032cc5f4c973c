/**
 * Decoder-only checkpoints on disk: loading through the architecture-picking loader, saving back in
 * Hugging Face's layout (byte-identical weights for F32), sharded files with an index, F16/BF16, and
 * errors that name the file and tensor.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index';
import { parseCausalConfig } from '../src/causal/config';
import { loadCausalLM, loadModel } from '../src/checkpoint/node/causal';
import { saveCausalLM } from '../src/checkpoint/node/save-causal';
import { serializeSafetensors } from '../src/checkpoint/safetensors';
import { fixtureDir } from './t5-fixtures';
import {
  causalBatch,
  causalFixtureDir,
  loadCausalFixture,
  maxAbsDiff,
  readSafetensorsFile,
} from './causal-fixtures';

const ready = causalFixtureDir('llama-tiny') !== undefined && causalFixtureDir('qwen3-tiny') !== undefined;

describe.skipIf(!ready)('decoder-only checkpoints', () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend('wasm');
    dir = mkdtempSync(join(tmpdir(), 'causal-checkpoint-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loadModel picks the architecture from config.json: causal for llama/qwen3, t5 for flan-t5', async () => {
    for (const name of ['llama-tiny', 'qwen3-tiny'] as const) {
      const loaded = await loadModel(causalFixtureDir(name)!);
      expect(loaded.architecture).toBe('causal');
      if (loaded.architecture !== 'causal') continue;
      const { reference, expected } = loadCausalFixture(name);
      const batch = causalBatch(reference);
      const logits = loaded.model.forward(batch);
      expect(maxAbsDiff(logits.dataSync(), expected.get('logits')!.data)).toBeLessThan(1e-4);
      expect(loaded.generationConfig).toEqual({ bos_token_id: null, eos_token_id: 2, pad_token_id: 0 });
      tf.dispose([logits, ...Object.values(batch)]);
      loaded.model.dispose();
    }
    const t5 = fixtureDir('flan-t5-tiny');
    if (t5 !== undefined) {
      const loaded = await loadModel(t5);
      expect(loaded.architecture).toBe('t5');
      loaded.model.dispose();
    }
  });

  it('saves F32 weights byte-identical to the fixtures (tied: no lm_head), and a config that parses back', async () => {
    for (const name of ['llama-tiny', 'qwen3-tiny'] as const) {
      const source = causalFixtureDir(name)!;
      const model = await loadCausalLM(source);
      const out = join(dir, `${name}-f32`);
      await saveCausalLM(model, out);
      model.dispose();
      expect(
        readFileSync(join(out, 'model.safetensors')).equals(readFileSync(join(source, 'model.safetensors'))),
      ).toBe(true);
      const saved = parseCausalConfig(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')));
      expect(saved).toEqual(loadCausalFixture(name).config);
      expect(readFileSync(join(out, 'config.json'), 'utf8')).toMatch(/"rope_theta": 10+\.0/);
    }
  });

  it('writes and reads sharded checkpoints (index + shards) with the same tensors', async () => {
    const source = causalFixtureDir('llama-tiny')!;
    const model = await loadCausalLM(source);
    const out = join(dir, 'llama-sharded');
    const written = await saveCausalLM(model, out, { maxShardBytes: 200_000 });
    model.dispose();
    expect(existsSync(join(out, 'model.safetensors'))).toBe(false);
    const index = JSON.parse(readFileSync(join(out, 'model.safetensors.index.json'), 'utf8'));
    const shards = new Set(Object.values(index.weight_map));
    expect(shards.size).toBeGreaterThan(1);
    expect(written.filter((p) => p.endsWith('.safetensors'))).toHaveLength(shards.size);
    const reloaded = await loadCausalLM(out);
    const original = loadCausalFixture('llama-tiny').tensors;
    for (const t of reloaded.toTensors())
      expect(maxAbsDiff(t.data, original.get(t.name)!.data), t.name).toBe(0);
    reloaded.dispose();
  });

  it('F16 and BF16 round to the nearest value and load back', async () => {
    const source = causalFixtureDir('qwen3-tiny')!;
    const model = await loadCausalLM(source);
    const original = loadCausalFixture('qwen3-tiny').tensors;
    for (const [dtype, rel] of [
      ['F16', 2 ** -11],
      ['BF16', 2 ** -8],
    ] as const) {
      const out = join(dir, `qwen3-${dtype}`);
      await saveCausalLM(model, out, { dtype });
      expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).torch_dtype).toBe(
        dtype === 'F16' ? 'float16' : 'bfloat16',
      );
      const reloaded = await loadCausalLM(out);
      for (const t of reloaded.toTensors()) {
        const o = original.get(t.name)!.data;
        const worst = Math.max(
          ...Array.from(t.data, (v, i) => Math.abs(v - o[i]!) / Math.max(Math.abs(o[i]!), 1e-3)),
        );
        expect(worst, `${dtype} ${t.name}`).toBeLessThanOrEqual(rel * 1.01);
      }
      reloaded.dispose();
    }
    model.dispose();
  });

  it("generation_config.json's eos ids stop generation, as in HF's generate", async () => {
    const source = causalFixtureDir('llama-tiny')!;
    const out = join(dir, 'llama-eos');
    mkdirSync(out, { recursive: true });
    for (const f of ['config.json', 'model.safetensors']) copyFileSync(join(source, f), join(out, f));
    writeFileSync(
      join(out, 'generation_config.json'),
      JSON.stringify({ eos_token_id: [2, 19], pad_token_id: 0 }),
    );
    const model = await loadCausalLM(out);
    expect(model.eosTokenIds).toEqual([2, 19]);
    expect(model.config.eosTokenIds).toEqual([2, 19]);
    model.dispose();
    const plain = await loadCausalLM(source);
    expect(plain.eosTokenIds).toEqual([2]);
    plain.dispose();
  });

  it('names the file and tensor of a missing, unexpected or misshapen tensor', async () => {
    const source = causalFixtureDir('llama-tiny')!;
    const tensors = [...readSafetensorsFile(join(source, 'model.safetensors')).values()];
    const write = (name: string, list: typeof tensors) => {
      const d = join(dir, name);
      rmSync(d, { recursive: true, force: true });
      mkdirSync(d, { recursive: true });
      copyFileSync(join(source, 'config.json'), join(d, 'config.json'));
      writeFileSync(join(d, 'model.safetensors'), serializeSafetensors(list));
      return d;
    };
    const missing = write(
      'missing',
      tensors.filter((t) => t.name !== 'model.norm.weight'),
    );
    await expect(loadCausalLM(missing)).rejects.toThrow(
      /model\.safetensors.*model\.norm\.weight.*missing tensor|missing tensor.*model\.norm\.weight/,
    );
    const extra = write('extra', [
      ...tensors,
      { name: 'model.layers.2.mlp.up_proj.weight', shape: [1], data: new Float32Array(1) },
    ]);
    await expect(loadCausalLM(extra)).rejects.toThrow(
      /model\.layers\.2\.mlp\.up_proj\.weight.*unexpected|unexpected.*model\.layers\.2/,
    );
    const shape = write(
      'shape',
      tensors.map((t) => (t.name === 'lm_head.weight' ? { ...t, shape: [64, 512] } : t)),
    );
    await expect(loadCausalLM(shape)).rejects.toThrow(/lm_head\.weight.*\[64,512\]|\[64,512\].*lm_head/);
  });
});
