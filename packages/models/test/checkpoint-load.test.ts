import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedFile } from '@flan-ts/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CheckpointError,
  expectedT5Tensors,
  loadCheckpoint,
  parseSafetensors,
  readFloat32,
} from '../src/node';
import { parseT5Config } from '../src/t5/config';
import { syntheticTensors, tinyConfigJson, writeModelDir } from './checkpoint-support';
import { sameBits } from './t5-fixtures';

const t5Tiny = sharedFile('fixtures/models/t5-tiny');
const flanTiny = sharedFile('fixtures/models/flan-t5-tiny');
const temp = mkdtempSync(join(tmpdir(), 'flan-ckpt-load-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));
let counter = 0;
const freshDir = () => join(temp, `m${counter++}`);

/** Every tensor of the fixture file, read independently of the loader. */
function fixtureTensors(dir: string) {
  const file = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));
  return new Map([...file.tensors.keys()].map((name) => [name, readFloat32(file, name)]));
}

describe.skipIf(!t5Tiny || !flanTiny)('loadCheckpoint from the fixture directories', () => {
  it('loads flan-t5-tiny (untied, gated-gelu) with every tensor bit-exact and in network order', async () => {
    const ckpt = await loadCheckpoint(flanTiny!);
    expect(ckpt.config).toMatchObject({
      numLayers: 3,
      numDecoderLayers: 2,
      isGatedAct: true,
      activation: 'gelu_new',
    });
    expect(ckpt.config.tieWordEmbeddings).toBe(false);
    expect([...ckpt.tensors.keys()]).toEqual(expectedT5Tensors(ckpt.config).map((t) => t.name));
    const reference = fixtureTensors(flanTiny!);
    expect(ckpt.tensors.size).toBe(reference.size);
    for (const [name, tensor] of ckpt.tensors) {
      expect(tensor.name).toBe(name);
      expect(sameBits(tensor.data, reference.get(name)!), name).toBe(true);
    }
    const params = [...ckpt.tensors.values()].reduce((n, t) => n + t.data.length, 0);
    expect(params).toBe(4_351_104);
    expect(ckpt.generationConfig).toEqual({ decoder_start_token_id: 0, eos_token_id: 1, pad_token_id: 0 });
  });

  it('loads t5-tiny (tied): lm_head is shared.weight, so the stored copy is not loaded', async () => {
    const ckpt = await loadCheckpoint(t5Tiny!);
    expect(ckpt.config).toMatchObject({ tieWordEmbeddings: true, isGatedAct: false, activation: 'relu' });
    expect(ckpt.tensors.has('lm_head.weight')).toBe(false);
    expect(ckpt.tensors.has('encoder.block.1.layer.1.DenseReluDense.wi.weight')).toBe(true);
    expect(ckpt.tensors.has('encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight')).toBe(
      false,
    );
    expect(ckpt.tensors.get('shared.weight')!.shape).toEqual([32128, 64]);
    expect([...ckpt.tensors.values()].reduce((n, t) => n + t.data.length, 0)).toBe(2_221_056);
    const reference = fixtureTensors(t5Tiny!);
    for (const [name, tensor] of ckpt.tensors)
      expect(sameBits(tensor.data, reference.get(name)!), name).toBe(true);
  });

  it('reports where the config, weights and tokenizer files are', async () => {
    const ckpt = await loadCheckpoint(flanTiny!);
    expect(ckpt.files).toEqual({
      config: join(flanTiny!, 'config.json'),
      generationConfig: join(flanTiny!, 'generation_config.json'),
      weights: [join(flanTiny!, 'model.safetensors')],
      tokenizer: {
        spieceModel: join(flanTiny!, 'spiece.model'),
        tokenizerConfig: join(flanTiny!, 'tokenizer_config.json'),
        specialTokensMap: join(flanTiny!, 'special_tokens_map.json'),
      },
    });
  });

  it('reads a config written by transformers 5 (tie_word_embeddings always true, scale_decoder_outputs)', async () => {
    // What transformers 5.18 writes for flan-t5-tiny: an untied, unscaled head despite tie_word_embeddings.
    const dir = freshDir();
    mkdirSync(dir);
    const v5 = {
      ...JSON.parse(readFileSync(join(flanTiny!, 'config.json'), 'utf8')),
      tie_word_embeddings: true,
    };
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ ...v5, scale_decoder_outputs: false, dtype: 'float32' }),
    );
    copyFileSync(join(flanTiny!, 'model.safetensors'), join(dir, 'model.safetensors'));
    const ckpt = await loadCheckpoint(dir);
    expect(ckpt.config.tieWordEmbeddings).toBe(false);
    expect(ckpt.tensors.has('lm_head.weight')).toBe(true);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...v5, scale_decoder_outputs: 'no' }));
    await expect(loadCheckpoint(dir)).rejects.toThrow(/"scale_decoder_outputs" must be a boolean/);
  });

  it('accepts a file: URL', async () => {
    const ckpt = await loadCheckpoint(new URL(`file://${flanTiny!}/`));
    expect(ckpt.tensors.size).toBe(fixtureTensors(flanTiny!).size);
  });

  it('loads a sharded checkpoint through model.safetensors.index.json', async () => {
    const dir = freshDir();
    const file = parseSafetensors(new Uint8Array(readFileSync(join(flanTiny!, 'model.safetensors'))));
    const tensors = [...file.tensors.values()].map(({ name, shape }) => ({
      name,
      shape,
      data: readFloat32(file, name),
    }));
    const shards = [
      tensors.filter((t) => t.name.startsWith('encoder')),
      tensors.filter((t) => !t.name.startsWith('encoder')),
    ];
    const weightMap: Record<string, string> = {};
    shards.forEach((shard, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      writeModelDir(dir, JSON.parse(readFileSync(join(flanTiny!, 'config.json'), 'utf8')), shard);
      copyFileSync(join(dir, 'model.safetensors'), join(dir, file));
      for (const t of shard) weightMap[t.name] = file;
    });
    rmSync(join(dir, 'model.safetensors'));
    writeFileSync(
      join(dir, 'model.safetensors.index.json'),
      JSON.stringify({ metadata: {}, weight_map: weightMap }),
    );
    const ckpt = await loadCheckpoint(dir);
    expect(ckpt.files.weights).toEqual([
      join(dir, 'model.safetensors.index.json'),
      join(dir, 'model-00001-of-00002.safetensors'),
      join(dir, 'model-00002-of-00002.safetensors'),
    ]);
    const direct = await loadCheckpoint(flanTiny!);
    expect([...ckpt.tensors.keys()]).toEqual([...direct.tensors.keys()]);
    for (const [name, t] of ckpt.tensors)
      expect(sameBits(t.data, direct.tensors.get(name)!.data), name).toBe(true);
    expect(ckpt.generationConfig).toBeUndefined();
  });
});

describe('loadCheckpoint: F16 and BF16 weights', () => {
  const configJson = tinyConfigJson();
  const expected = expectedT5Tensors(parseT5Config(configJson));

  it('widens BF16 exactly (bf16 is the top half of a float32)', async () => {
    const tensors = syntheticTensors(expected);
    const dir = freshDir();
    writeModelDir(dir, configJson, tensors, { dtype: 'BF16' });
    const ckpt = await loadCheckpoint(dir);
    for (const t of tensors) {
      const loaded = ckpt.tensors.get(t.name)!.data;
      const bits = new Uint32Array(loaded.buffer, loaded.byteOffset, loaded.length);
      for (let i = 0; i < loaded.length; i++) {
        expect(bits[i]! & 0xffff).toBe(0);
        // round to nearest: within half a bf16 ulp of the float32 value
        expect(Math.abs(loaded[i]! - t.data[i]!)).toBeLessThanOrEqual(Math.abs(t.data[i]!) * 2 ** -8);
      }
    }
  });

  it('widens F16 values to the same float32 numbers', async () => {
    // Values exactly representable in half precision survive F16 storage unchanged.
    const tensors = syntheticTensors(expected).map((t) => ({
      ...t,
      data: t.data.map((v, i) => (i % 7 === 0 ? 0 : Math.round(v * 1024) / 1024) * (i % 3 === 0 ? 8 : 1)),
    }));
    tensors[0]!.data[1] = 65504; // largest half
    tensors[0]!.data[2] = -(2 ** -24); // smallest subnormal half
    const dir = freshDir();
    writeModelDir(dir, configJson, tensors, { dtype: 'F16' });
    const ckpt = await loadCheckpoint(dir);
    for (const t of tensors) expect(ckpt.tensors.get(t.name)!.data).toEqual(t.data);
    const header = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));
    expect(header.tensors.get('shared.weight')!.dtype).toBe('F16');
  });
});

describe('loadCheckpoint: the expected tensors of a config', () => {
  it('lists relative bias only in block 0, wi or wi_0/wi_1 by feed-forward, lm_head optional when tied', () => {
    const gated = expectedT5Tensors(parseT5Config(tinyConfigJson()));
    const names = gated.map((t) => t.name);
    expect(names.filter((n) => n.includes('relative_attention_bias'))).toEqual([
      'encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight',
      'decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight',
    ]);
    expect(names).toContain('decoder.block.0.layer.2.DenseReluDense.wi_1.weight');
    expect(names.some((n) => n.endsWith('.wi.weight'))).toBe(false);
    expect(gated.find((t) => t.name === 'lm_head.weight')).toEqual({
      name: 'lm_head.weight',
      shape: [24, 8],
      required: true,
    });
    expect(gated.find((t) => t.name === 'decoder.block.0.layer.1.EncDecAttention.o.weight')!.shape).toEqual([
      8, 8,
    ]);
    expect(gated.find((t) => t.name === 'encoder.block.1.layer.1.DenseReluDense.wo.weight')!.shape).toEqual([
      8, 12,
    ]);
    expect(names.length).toBe(1 + 2 * 9 + 1 + 1 + 1 * 15 + 1 + 1 - 0);

    const plain = expectedT5Tensors(
      parseT5Config(tinyConfigJson({ feed_forward_proj: 'relu', tie_word_embeddings: true })),
    );
    expect(plain.some((t) => t.name.includes('wi_0'))).toBe(false);
    expect(plain.find((t) => t.name === 'lm_head.weight')!.required).toBe(false);
  });
});

describe('loadCheckpoint: bad input names the file and tensor', () => {
  const configJson = tinyConfigJson();
  const expected = expectedT5Tensors(parseT5Config(configJson));
  const good = () => syntheticTensors(expected);

  async function loadError(dir: string): Promise<CheckpointError> {
    const error = await loadCheckpoint(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CheckpointError);
    return error as CheckpointError;
  }

  it('a missing directory or config.json', async () => {
    const dir = freshDir();
    writeModelDir(dir, configJson, good());
    rmSync(join(dir, 'config.json'));
    const error = await loadError(dir);
    expect(error.file).toBe(join(dir, 'config.json'));
    expect(error.message).toMatch(/not found/);
    await expect(loadCheckpoint(join(temp, 'no-such-dir'))).rejects.toThrow(
      /not a directory, an http\(s\) URL or a hub repo id|request failed/,
    );
  });

  it('no weights file (and says so when only pytorch_model.bin exists)', async () => {
    const dir = freshDir();
    writeModelDir(dir, configJson, good());
    rmSync(join(dir, 'model.safetensors'));
    writeFileSync(join(dir, 'pytorch_model.bin'), 'pickle');
    const error = await loadError(dir);
    expect(error.file).toBe(join(dir, 'model.safetensors'));
    expect(error.message).toMatch(/pytorch_model\.bin.*convert/);
  });

  it('a truncated weights file', async () => {
    const dir = freshDir();
    writeModelDir(dir, configJson, good());
    const bytes = readFileSync(join(dir, 'model.safetensors'));
    writeFileSync(join(dir, 'model.safetensors'), bytes.subarray(0, bytes.length - 100));
    const error = await loadError(dir);
    expect(error.file).toBe(join(dir, 'model.safetensors'));
    expect(error.tensor).toBe('shared.weight'); // last in sorted order: the tensor whose bytes are cut
    expect(error.message).toMatch(/past the end of the data/);
    writeFileSync(join(dir, 'model.safetensors'), bytes.subarray(0, 5));
    expect((await loadError(dir)).message).toMatch(/truncated: 5 bytes/);
    writeFileSync(join(dir, 'model.safetensors'), bytes.subarray(0, 40));
    expect((await loadError(dir)).message).toMatch(/header length \d+ does not fit in the file \(40 bytes\)/);
  });

  it('a header that lies about offsets', async () => {
    const dir = freshDir();
    writeModelDir(dir, configJson, good());
    const bytes = new Uint8Array(readFileSync(join(dir, 'model.safetensors')));
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    const parsed = JSON.parse(header);
    const [a, b] = parsed['decoder.final_layer_norm.weight'].data_offsets;
    parsed['decoder.final_layer_norm.weight'].data_offsets = [a, b + 4];
    const lying = new TextEncoder().encode(JSON.stringify(parsed).padEnd(n, ' '));
    expect(lying.length).toBe(n);
    bytes.set(lying, 8);
    writeFileSync(join(dir, 'model.safetensors'), bytes);
    const error = await loadError(dir);
    expect(error.tensor).toBe('decoder.final_layer_norm.weight');
    expect(error.message).toMatch(/span 36 bytes but F32 \[8\] needs 32/);
  });

  it('a missing tensor', async () => {
    const dir = freshDir();
    writeModelDir(
      dir,
      configJson,
      good().filter((t) => t.name !== 'decoder.block.0.layer.1.EncDecAttention.k.weight'),
    );
    const error = await loadError(dir);
    expect(error.file).toBe(join(dir, 'model.safetensors'));
    expect(error.tensor).toBe('decoder.block.0.layer.1.EncDecAttention.k.weight');
    expect(error.message).toMatch(/missing tensor/);
  });

  it('lm_head.weight is required when untied, optional when tied', async () => {
    const dir = freshDir();
    writeModelDir(
      dir,
      configJson,
      good().filter((t) => t.name !== 'lm_head.weight'),
    );
    expect((await loadError(dir)).tensor).toBe('lm_head.weight');
    const tied = freshDir();
    writeModelDir(
      tied,
      { ...configJson, tie_word_embeddings: true },
      good().filter((t) => t.name !== 'lm_head.weight'),
    );
    expect((await loadCheckpoint(tied)).tensors.has('lm_head.weight')).toBe(false);
  });

  it('a shape that disagrees with the config', async () => {
    const dir = freshDir();
    const tensors = good().map((t) =>
      t.name === 'encoder.block.1.layer.1.DenseReluDense.wi_0.weight' ? { ...t, shape: [8, 12] } : t,
    );
    writeModelDir(dir, configJson, tensors);
    const error = await loadError(dir);
    expect(error.tensor).toBe('encoder.block.1.layer.1.DenseReluDense.wi_0.weight');
    expect(error.message).toMatch(/shape \[8,12\] disagrees with the config, which implies \[12,8\]/);
  });

  it('a config with fewer layers than the file holds: the extra tensors are an error', async () => {
    const dir = freshDir();
    writeModelDir(dir, { ...configJson, num_layers: 1 }, good());
    const error = await loadError(dir);
    // the first in the file's (sorted) order
    expect(error.tensor).toBe('encoder.block.1.layer.0.SelfAttention.k.weight');
    expect(error.message).toMatch(/unexpected tensor/);
  });

  it('a relu config over gated weights', async () => {
    const dir = freshDir();
    writeModelDir(dir, { ...configJson, feed_forward_proj: 'relu' }, good());
    const error = await loadError(dir);
    expect(error.tensor).toBe('encoder.block.0.layer.1.DenseReluDense.wi.weight');
    expect(error.message).toMatch(/missing tensor/);
  });

  it('accepts the embed_tokens aliases and the unused cross-attention bias of old checkpoints', async () => {
    const dir = freshDir();
    const tensors = good();
    const shared = tensors.find((t) => t.name === 'shared.weight')!;
    tensors.push(
      { ...shared, name: 'encoder.embed_tokens.weight' },
      { ...shared, name: 'decoder.embed_tokens.weight' },
    );
    tensors.push({
      name: 'decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight',
      shape: [8, 2],
      data: new Float32Array(16),
    });
    writeModelDir(dir, configJson, tensors);
    const ckpt = await loadCheckpoint(dir);
    expect(ckpt.tensors.has('encoder.embed_tokens.weight')).toBe(false);
    expect(ckpt.tensors.get('shared.weight')!.data).toEqual(shared.data);
    // shared.weight stored only under an alias
    const aliasOnly = freshDir();
    writeModelDir(
      aliasOnly,
      configJson,
      tensors.filter((t) => t.name !== 'shared.weight'),
    );
    expect((await loadCheckpoint(aliasOnly)).tensors.get('shared.weight')!.data).toEqual(shared.data);
  });

  it('an unsupported dtype', async () => {
    const dir = freshDir();
    writeModelDir(dir, configJson, good());
    const bytes = new Uint8Array(readFileSync(join(dir, 'model.safetensors')));
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    // Same byte length: I32 has 4 bytes per element like F32.
    const patched = header.replace(/("encoder\.final_layer_norm\.weight":\{"dtype":")F32/, '$1I32');
    expect(patched).not.toBe(header);
    bytes.set(new TextEncoder().encode(patched), 8);
    writeFileSync(join(dir, 'model.safetensors'), bytes);
    const error = await loadError(dir);
    expect(error.tensor).toBe('encoder.final_layer_norm.weight');
    expect(error.message).toMatch(/unsupported dtype "I32" \(supported: F32, F16, BF16\)/);
  });

  it('an unsupported architecture or model_type', async () => {
    const dir = freshDir();
    writeModelDir(dir, { ...configJson, architectures: ['T5EncoderModel'] }, good());
    const error = await loadError(dir);
    expect(error.file).toBe(join(dir, 'config.json'));
    expect(error.message).toMatch(/unsupported architectures \["T5EncoderModel"\]/);
    writeModelDir(
      dir,
      { ...configJson, model_type: 'mt5', architectures: ['MT5ForConditionalGeneration'] },
      good(),
    );
    expect((await loadError(dir)).message).toMatch(/unsupported architectures|unsupported model_type/);
    writeModelDir(dir, { ...configJson, architectures: undefined, model_type: 'bart' }, good());
    expect((await loadError(dir)).message).toMatch(/unsupported model_type "bart"/);
  });

  it('a config.json that is not JSON', async () => {
    const dir = freshDir();
    writeModelDir(dir, configJson, good());
    writeFileSync(join(dir, 'config.json'), '{"d_model": 8,');
    const error = await loadError(dir);
    expect(error.file).toBe(join(dir, 'config.json'));
    expect(error.message).toMatch(/is not valid JSON/);
  });

  it('a shard the index names but that is not there, or that lacks the tensor', async () => {
    const dir = freshDir();
    const tensors = good();
    writeModelDir(dir, configJson, tensors);
    copyFileSync(join(dir, 'model.safetensors'), join(dir, 'a.safetensors'));
    rmSync(join(dir, 'model.safetensors'));
    const weightMap = Object.fromEntries(tensors.map((t) => [t.name, 'a.safetensors']));
    weightMap['shared.weight'] = 'b.safetensors';
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: weightMap }));
    const error = await loadError(dir);
    expect(error.file).toBe(join(dir, 'b.safetensors'));
    expect(error.message).toMatch(/shard listed in model.safetensors.index.json not found/);
    copyFileSync(join(dir, 'a.safetensors'), join(dir, 'b.safetensors'));
    const twice = await loadError(dir);
    expect(twice.message).toMatch(/does not map it here/);
    weightMap['made.up.weight'] = 'a.safetensors';
    delete weightMap['shared.weight'];
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: weightMap }));
    const lacking = await loadError(dir);
    expect(lacking.file).toBe(join(dir, 'a.safetensors'));
    expect(lacking.tensor).toBe('made.up.weight');
  });
});
