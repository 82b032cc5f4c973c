import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, loadCheckpointFromFiles, t5FromCheckpoint, type T5Model } from '@flan-ts/models';
import { loadT5 } from '@flan-ts/models/node';
import { sharedFile } from '@flan-ts/test-support';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MemoryCheckpointStore,
  ResumeError,
  TRAINER_STATE_FORMAT,
  checkpointToResume,
  Trainer,
  adapterFilesIn,
  applyLora,
  checkpointsByStep,
  loraAdapterFromFiles,
  newestCheckpoint,
  optimizerStateOf,
  readStoredCheckpoint,
  saveCheckpoint,
  type CheckpointStore,
  type TrainerState,
} from '../src/index';
import { DirectoryCheckpointStore } from '../src/node';

const modelDir = sharedFile('fixtures/models/flan-t5-tiny');
const temp = mkdtempSync(join(tmpdir(), 'flan-store-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));

const stores: [string, () => CheckpointStore][] = [
  ['memory', () => new MemoryCheckpointStore()],
  ['directory', () => new DirectoryCheckpointStore(mkdtempSync(join(temp, 'run-')))],
];

for (const [kind, make] of stores) {
  describe(`${kind} checkpoint store`, () => {
    it('writes, lists by step, reads, replaces and removes checkpoints', async () => {
      const store = make();
      expect(await newestCheckpoint(store)).toBeUndefined();
      await store.write('checkpoint-10', new Map([['a.txt', bytes('ten')]]));
      await store.write('checkpoint-2', new Map([['a.txt', bytes('two')]]));
      await store.write('checkpoint-10', new Map([['b.txt', bytes('ten again')]]));
      expect(await checkpointsByStep(store)).toEqual([
        [2, 'checkpoint-2'],
        [10, 'checkpoint-10'],
      ]);
      expect(await newestCheckpoint(store)).toBe('checkpoint-10');
      const ten = await store.read('checkpoint-10');
      expect([...ten.keys()]).toEqual(['b.txt']);
      expect(text(ten.get('b.txt'))).toBe('ten again');
      await store.remove('checkpoint-2');
      await store.remove('checkpoint-2');
      expect(await store.list()).toEqual(['checkpoint-10']);
      await expect(store.read('checkpoint-3')).rejects.toThrow();
    });
  });
}

describe('checkpointToResume', () => {
  const state = (step: number, config: Record<string, unknown>) =>
    bytes(
      JSON.stringify({
        format: TRAINER_STATE_FORMAT,
        step,
        examplesSeen: step,
        data: null,
        rng: null,
        config,
      }),
    );
  it('finds the newest checkpoint, refuses changed settings and an occupied store, or replaces it', async () => {
    const store = new MemoryCheckpointStore();
    const config = { lr: 0.1, steps: 10 };
    const options = { config, resumable: ['steps'], where: 'runs/x' };
    await expect(checkpointToResume(store, { ...options, resume: true })).rejects.toThrow(
      /runs\/x holds no checkpoint to resume from/,
    );
    expect(await checkpointToResume(store, { ...options, resume: false })).toBeUndefined();
    for (const step of [2, 4])
      await store.write(`checkpoint-${step}`, new Map([['trainer_state.json', state(step, config)]]));
    const found = await checkpointToResume(store, {
      ...options,
      config: { ...config, steps: 20 },
      resume: true,
    });
    expect(found?.state.step).toBe(4);
    const changed = checkpointToResume(store, { ...options, config: { ...config, lr: 0.2 }, resume: true });
    await expect(changed).rejects.toThrow(/other settings: lr: 0\.1 → 0\.2/);
    await expect(changed).rejects.toBeInstanceOf(ResumeError);
    await expect(checkpointToResume(store, { ...options, resume: false })).rejects.toThrow(
      /runs\/x already holds checkpoints \(newest checkpoint-4\)/,
    );
    expect(await checkpointToResume(store, { ...options, resume: false, replace: true })).toBeUndefined();
    expect(await store.list()).toEqual([]);
  });
});

describe('DirectoryCheckpointStore', () => {
  it('a failed write leaves no checkpoint and no temporary directory behind', async () => {
    const dir = mkdtempSync(join(temp, 'fail-'));
    const store = new DirectoryCheckpointStore(dir);
    await expect(store.write('checkpoint-1', new Map([['sub/x.bin', bytes('x')]]))).rejects.toThrow();
    expect(readdirSync(dir)).toEqual([]);
    expect(await store.list()).toEqual([]);
    expect(await new DirectoryCheckpointStore(join(dir, 'absent')).list()).toEqual([]);
  });
});

describe.skipIf(!modelDir)('saveCheckpoint / readStoredCheckpoint (flan-t5-tiny, cpu)', () => {
  let model: T5Model;
  beforeAll(async () => {
    await initBackend('cpu');
    model = await loadT5(modelDir!);
  });
  afterAll(() => model.dispose());

  const state = (step: number): TrainerState => ({
    format: TRAINER_STATE_FORMAT,
    step,
    examplesSeen: 4 * step,
    data: { position: step },
    rng: { seed: 1 },
    config: { lr: 0.01 },
  });
  const batch = {
    input_ids: [[37, 9, 1]],
    attention_mask: [[1, 1, 1]],
    decoder_input_ids: [[0, 37]],
    labels: [[37, 1]],
  };

  it('round-trips the model, optimizer state and trainer state; keeps the newest K', async () => {
    const before = tf.memory().numTensors;
    const store = new MemoryCheckpointStore();
    const trainer = new Trainer(model, { optimizer: { name: 'adafactor', learningRate: 1e-3 } });
    await trainer.step(batch);
    const extraFiles = new Map([['spiece.model', bytes('tokenizer bytes')]]);
    for (const step of [1, 2, 3]) {
      const optimizer = trainer.optimizerState();
      await saveCheckpoint(
        store,
        { model, optimizerState: optimizer.tensors, state: state(step), extraFiles },
        2,
      );
    }
    expect((await checkpointsByStep(store)).map(([s]) => s)).toEqual([2, 3]);

    const stored = await readStoredCheckpoint(store, 'checkpoint-3');
    expect(stored.state).toEqual(state(3));
    expect(text(stored.files.get('spiece.model'))).toBe('tokenizer bytes');
    const restored = t5FromCheckpoint(await loadCheckpointFromFiles(stored.files));
    const [a, b] = [await model.readTensors(), await restored.readTensors()];
    for (const t of a) expect(b.find((x) => x.name === t.name)!.data, t.name).toEqual(t.data);
    restored.dispose();

    const optimizerState = optimizerStateOf(stored, store);
    const original = trainer.optimizerState().tensors;
    expect([...optimizerState.keys()].sort()).toEqual([...original.keys()].sort());
    for (const [name, t] of original)
      expect(optimizerState.get(name)!.dataSync(), name).toEqual(t.dataSync());
    tf.dispose([...optimizerState.values()]);
    trainer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a LoRA checkpoint holds the PEFT adapter instead of the model', async () => {
    const store = new DirectoryCheckpointStore(mkdtempSync(join(temp, 'lora-')));
    const adapter = applyLora(model, { r: 2, alpha: 4 }, 7);
    let disposed = false;
    try {
      await saveCheckpoint(store, { model, adapter, optimizerState: new Map(), state: state(5) });
      const stored = await readStoredCheckpoint(store, 'checkpoint-5');
      expect([...stored.files.keys()].sort()).toEqual([
        'adapter_config.json',
        'adapter_model.safetensors',
        'optimizer.safetensors',
        'trainer_state.json',
      ]);
      expect(existsSync(join(store.dir, 'checkpoint-5', 'adapter_config.json'))).toBe(true);
      const where = store.describe('checkpoint-5');
      const files = adapterFilesIn(stored.files, where);
      const saved = new Map([...adapter.variables()].map(([n, v]) => [n, v.dataSync()]));
      adapter.dispose();
      disposed = true;
      const again = loraAdapterFromFiles(model, files, where);
      expect([...again.variables().keys()]).toEqual([...saved.keys()]);
      for (const [name, v] of again.variables()) expect(v.dataSync(), name).toEqual(saved.get(name));
      again.dispose();
      stored.files.delete('trainer_state.json');
      await store.write('checkpoint-6', stored.files);
      await expect(readStoredCheckpoint(store, 'checkpoint-6')).rejects.toThrow(
        /checkpoint-6\/trainer_state\.json: missing/,
      );
    } finally {
      if (!disposed) adapter.dispose();
    }
  });
});
