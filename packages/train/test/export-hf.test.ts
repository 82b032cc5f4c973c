import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { huggingFaceTrainScript, type HfExportConfig } from '../src/export/hf-script';

const base: HfExportConfig = {
  model: 'google/flan-t5-small',
  dataFile: 'train.jsonl',
  steps: 100,
  batchSize: 8,
  gradAccum: 8,
  inputLength: 512,
  targetLength: 128,
  optimizer: 'adafactor-t5x',
  learningRate: 1e-3,
  schedule: 'constant',
  warmup: 0,
  weightDecay: 0,
  clipNorm: 1,
  dropout: 0.05,
  seed: 0,
  packed: true,
};

describe('huggingFaceTrainScript', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flan-hf-'));
  const variants: [string, HfExportConfig][] = [
    ['t5x Adafactor, packed, constant', base],
    [
      'HF Adafactor with LoRA, cosine',
      {
        ...base,
        optimizer: 'adafactor',
        schedule: 'cosine',
        warmup: 10,
        lora: { r: 8, alpha: 16, dropout: 0.05, targetModules: ['q', 'v'] },
      },
    ],
    [
      'AdamW, linear, regex targets',
      {
        ...base,
        optimizer: 'adamw',
        schedule: 'linear',
        weightDecay: 0.01,
        lora: { r: 4, alpha: 8, dropout: 0, targetModules: '.*SelfAttention\\.(q|v)' },
      },
    ],
    ['rsqrt, no dropout override', { ...base, schedule: 'rsqrt', warmup: 100, dropout: undefined }],
  ];
  for (const [name, config] of variants) {
    it(`compiles with python3 -m py_compile: ${name}`, () => {
      const script = huggingFaceTrainScript(config);
      const path = join(dir, `${name.replace(/\W+/g, '_')}.py`);
      writeFileSync(path, script);
      execFileSync('python3', ['-m', 'py_compile', path]);
      expect(script).toContain(`per_device_train_batch_size=${config.batchSize}`);
      expect(script).toContain(`gradient_accumulation_steps=${config.gradAccum}`);
      expect(script).toContain(`max_steps=${config.steps}`);
      expect(script).toContain('SequentialSampler');
      if (config.lora) expect(script).toContain(`r=${config.lora.r}`);
    });
  }
  it('names each optimizer as transformers spells it', () => {
    expect(huggingFaceTrainScript(base)).toMatch(
      /Adafactor\(params, lr=0\.001,[\s\S]*?scale_parameter=True, relative_step=False/s,
    );
    expect(huggingFaceTrainScript({ ...base, optimizer: 'adafactor' })).toMatch(/scale_parameter=False/);
    expect(huggingFaceTrainScript({ ...base, optimizer: 'adamw', weightDecay: 0.01 })).toMatch(
      /torch\.optim\.AdamW\(params, lr=0\.001, betas=\(0\.9, 0\.999\), eps=1e-8, weight_decay=0\.01\)/,
    );
  });
  it.sequential('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});
