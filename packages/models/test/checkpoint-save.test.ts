import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedFile } from '@flan-ts/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CheckpointError,
  expectedT5Tensors,
  loadCheckpoint,
  parseSafetensors,
  saveCheckpoint,
} from '../src/node';
import { parseT5Config } from '../src/t5/config';
import { syntheticTensors, tinyConfigJson } from './checkpoint-support';
import { sameBits } from './t5-fixtures';

const t5Tiny = sharedFile('fixtures/models/t5-tiny');
const flanTiny = sharedFile('fixtures/models/flan-t5-tiny');
const temp = mkdtempSync(join(tmpdir(), 'flan-ckpt-save-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));
let counter = 0;
const freshDir = () => join(temp, `s${counter++}`);

describe.skipIf(!t5Tiny || !flanTiny)('saveCheckpoint: load → save → load', () => {
  it('flan-t5-tiny (untied): the saved model.safetensors is byte-identical to the fixture', async () => {
    const loaded = await loadCheckpoint(flanTiny!);
    const dir = freshDir();
    const written = await saveCheckpoint(dir, loaded, { copyFiles: Object.values(loaded.files.tokenizer) });
    expect(written.map((p) => p.slice(dir.length + 1)).sort()).toEqual([
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'special_tokens_map.json',
      'spiece.model',
      'tokenizer_config.json',
    ]);
    expect(
      readFileSync(join(dir, 'model.safetensors')).equals(readFileSync(join(flanTiny!, 'model.safetensors'))),
    ).toBe(true);
    expect(
      readFileSync(join(dir, 'spiece.model')).equals(readFileSync(join(flanTiny!, 'spiece.model'))),
    ).toBe(true);
    // config.json: every key of the fixture with the same value (HF's own keys, sorted, 2-space indent).
    const fixtureConfig = JSON.parse(readFileSync(join(flanTiny!, 'config.json'), 'utf8'));
    const savedText = readFileSync(join(dir, 'config.json'), 'utf8');
    const saved = JSON.parse(savedText);
    for (const [key, value] of Object.entries(fixtureConfig)) {
      if (key !== 'classifier_dropout') expect(saved[key], key).toEqual(value);
    }
    expect(Object.keys(saved)).toEqual(Object.keys(saved).sort());
    expect(savedText.endsWith('}\n')).toBe(true);
    // Float fields stay floats (transformers 5 rejects an int initializer_factor).
    expect(savedText).toContain('"initializer_factor": 1.0,');
    expect(savedText).toContain('"dropout_rate": 0.0,');
    expect(savedText).toContain('"d_model": 64,');
    expect(JSON.parse(readFileSync(join(dir, 'generation_config.json'), 'utf8'))).toEqual(
      loaded.generationConfig,
    );

    const again = await loadCheckpoint(dir);
    expect(again.config).toEqual(loaded.config);
    expect([...again.tensors.keys()]).toEqual([...loaded.tensors.keys()]);
    for (const [name, t] of loaded.tensors)
      expect(sameBits(t.data, again.tensors.get(name)!.data), name).toBe(true);
    expect(readdirSync(dir).some((f) => f.endsWith('.incomplete'))).toBe(false);
  });

  it('t5-tiny (tied): stores shared.weight only, as save_pretrained does, and round-trips bit-exactly', async () => {
    const loaded = await loadCheckpoint(t5Tiny!);
    const dir = freshDir();
    await saveCheckpoint(dir, loaded);
    const header = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));
    expect(header.metadata).toEqual({ format: 'pt' });
    expect(header.tensors.has('lm_head.weight')).toBe(false);
    expect(header.tensors.has('encoder.embed_tokens.weight')).toBe(false);
    const fixture = parseSafetensors(new Uint8Array(readFileSync(join(t5Tiny!, 'model.safetensors'))));
    expect([...header.tensors.keys()]).toEqual(
      [...fixture.tensors.keys()].filter((n) => n !== 'lm_head.weight'),
    );

    const again = await loadCheckpoint(dir);
    for (const [name, t] of loaded.tensors)
      expect(sameBits(t.data, again.tensors.get(name)!.data), name).toBe(true);
    expect(again.tensors.size).toBe(loaded.tensors.size);
    // A second save of the reloaded checkpoint writes the same bytes.
    const dir2 = freshDir();
    await saveCheckpoint(dir2, again);
    expect(
      readFileSync(join(dir2, 'model.safetensors')).equals(readFileSync(join(dir, 'model.safetensors'))),
    ).toBe(true);
    expect(readFileSync(join(dir2, 'config.json'), 'utf8')).toBe(
      readFileSync(join(dir, 'config.json'), 'utf8'),
    );
  });

  it('a tied model given lm_head equal to shared (as a copy) saves; one that differs is refused', async () => {
    const loaded = await loadCheckpoint(t5Tiny!);
    const shared = loaded.tensors.get('shared.weight')!;
    const withHead = new Map(loaded.tensors);
    withHead.set('lm_head.weight', { ...shared, name: 'lm_head.weight', data: shared.data.slice() });
    await saveCheckpoint(freshDir(), { config: loaded.config, tensors: withHead });
    const changed = shared.data.slice();
    changed[5] = changed[5]! + 1;
    withHead.set('lm_head.weight', { ...shared, name: 'lm_head.weight', data: changed });
    await expect(saveCheckpoint(freshDir(), { config: loaded.config, tensors: withHead })).rejects.toThrow(
      /tensor "lm_head.weight": differs from shared.weight, but the config ties them/,
    );
  });
});

describe('saveCheckpoint: dtypes and bad input', () => {
  const configJson = tinyConfigJson();
  const config = parseT5Config(configJson);
  const tensors = syntheticTensors(expectedT5Tensors(config), 7);

  it('writes BF16 and F16 (torch_dtype follows) that load back rounded to nearest', async () => {
    for (const dtype of ['BF16', 'F16'] as const) {
      const dir = freshDir();
      await saveCheckpoint(dir, { config, tensors }, { dtype });
      const header = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));
      expect([...header.tensors.values()].every((e) => e.dtype === dtype)).toBe(true);
      expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).torch_dtype).toBe(
        dtype === 'BF16' ? 'bfloat16' : 'float16',
      );
      const loaded = await loadCheckpoint(dir);
      const relative = dtype === 'BF16' ? 2 ** -8 : 2 ** -11;
      for (const t of tensors) {
        const back = loaded.tensors.get(t.name)!.data;
        for (let i = 0; i < back.length; i++) {
          // half an ulp, plus the absolute rounding of F16 subnormals (below 2^-14)
          expect(Math.abs(back[i]! - t.data[i]!)).toBeLessThanOrEqual(
            Math.abs(t.data[i]!) * relative + 2 ** -25,
          );
        }
      }
    }
  });

  it('writes the default generation config from the token ids', async () => {
    const dir = freshDir();
    await saveCheckpoint(dir, { config, tensors });
    expect(JSON.parse(readFileSync(join(dir, 'generation_config.json'), 'utf8'))).toEqual({
      decoder_start_token_id: 0,
      eos_token_id: 1,
      pad_token_id: 0,
    });
  });

  it('refuses a missing tensor, a wrong shape or an unknown tensor, and writes nothing', async () => {
    const dir = freshDir();
    const missing = tensors.filter((t) => t.name !== 'encoder.final_layer_norm.weight');
    const error = await saveCheckpoint(dir, { config, tensors: missing }).catch((e) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error.file).toBe(join(dir, 'model.safetensors'));
    expect(error.tensor).toBe('encoder.final_layer_norm.weight');

    const reshaped = tensors.map((t) => (t.name === 'shared.weight' ? { ...t, shape: [8, 24] } : t));
    await expect(saveCheckpoint(dir, { config, tensors: reshaped })).rejects.toThrow(
      /tensor "shared.weight": shape \[8,24\] disagrees with the config, which implies \[24,8\]/,
    );
    const extra = [...tensors, { name: 'pooler.weight', shape: [1], data: new Float32Array(1) }];
    await expect(saveCheckpoint(dir, { config, tensors: extra })).rejects.toThrow(/tensor "pooler.weight"/);
    const short = tensors.map((t) => (t.name === 'lm_head.weight' ? { ...t, data: t.data.subarray(1) } : t));
    await expect(saveCheckpoint(dir, { config, tensors: short })).rejects.toThrow(
      /tensor "lm_head.weight": has 191 values/,
    );
    expect(existsSync(dir)).toBe(false);
  });
});
