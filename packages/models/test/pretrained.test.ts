import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index';
import { loadCheckpointFromFiles, loadT5 as loadT5Remote, t5ToFiles } from '../src/index';
import { loadCheckpoint, loadT5, saveT5 } from '../src/node';
import { startFakeHub, type FakeHub } from './checkpoint-support';
import { FIXTURES, fixtureDir, loadFixture, maxAbsDiff, referenceBatch, sameBits } from './t5-fixtures';

describe.skipIf(!fixtureDir('t5-tiny') || !fixtureDir('flan-t5-tiny'))(
  'loadT5 / saveT5 (cpu backend)',
  () => {
    const temp = mkdtempSync(join(tmpdir(), 'flan-pretrained-'));
    let hub: FakeHub;
    beforeAll(async () => {
      await initBackend('cpu');
      hub = await startFakeHub({
        'google/flan-t5-tiny': { dir: fixtureDir('flan-t5-tiny')!, commit: 'c'.repeat(40) },
      });
    });
    afterAll(async () => {
      await hub.close();
      rmSync(temp, { recursive: true, force: true });
    });

    for (const name of FIXTURES) {
      it(`${name}: loadT5 gives the reference logits; saveT5 → loadCheckpoint is bit-exact`, async () => {
        const before = tf.memory().numTensors;
        const model = await loadT5(fixtureDir(name)!);
        const { reference } = loadFixture(name);
        const batch = referenceBatch(reference);
        const logits = model.forward(batch);
        expect(maxAbsDiff(logits.dataSync(), loadFixture(name).expected.get('logits')!.data)).toBeLessThan(
          1e-4,
        );
        const argmax = tf.argMax(logits, -1);
        expect(argmax.arraySync()).toEqual(reference.logits.argmax);
        tf.dispose([logits, argmax, ...Object.values(batch)]);

        const dir = join(temp, name);
        await saveT5(model, dir);
        const original = await loadCheckpoint(fixtureDir(name)!);
        const saved = await loadCheckpoint(dir);
        expect(saved.config).toEqual(original.config);
        expect([...saved.tensors.keys()]).toEqual([...original.tensors.keys()]);
        for (const [tensor, t] of original.tensors) {
          expect(sameBits(t.data, saved.tensors.get(tensor)!.data), tensor).toBe(true);
        }
        if (name === 'flan-t5-tiny') {
          const fixtureBytes = readFileSync(join(fixtureDir(name)!, 'model.safetensors'));
          expect(readFileSync(join(dir, 'model.safetensors')).equals(fixtureBytes)).toBe(true);
        }
        model.dispose();
        expect(tf.memory().numTensors).toBe(before);
      });
    }

    it('t5ToFiles gives the bytes saveT5 writes, and loadCheckpointFromFiles reads them back', async () => {
      const before = tf.memory().numTensors;
      const model = await loadT5(fixtureDir('flan-t5-tiny')!);
      const dir = join(temp, 'files');
      await saveT5(model, dir);
      const files = await t5ToFiles(model);
      expect([...files.keys()].sort()).toEqual([
        'config.json',
        'generation_config.json',
        'model.safetensors',
      ]);
      for (const [name, bytes] of files) {
        expect(Buffer.from(bytes).equals(readFileSync(join(dir, name))), name).toBe(true);
      }
      const loaded = await loadCheckpointFromFiles(files, 'dropped');
      expect(loaded.config).toEqual(model.config);
      const original = await loadCheckpoint(fixtureDir('flan-t5-tiny')!);
      for (const [tensor, t] of original.tensors) {
        expect(sameBits(t.data, loaded.tensors.get(tensor)!.data), tensor).toBe(true);
      }
      files.delete('model.safetensors');
      await expect(loadCheckpointFromFiles(files, 'dropped')).rejects.toThrow(/dropped\/model\.safetensors/);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });

    it('loads by hub repo id (Node cache and browser entry)', async () => {
      const cached = await loadT5('google/flan-t5-tiny', {
        endpoint: hub.endpoint,
        cacheDir: join(temp, 'cache'),
      });
      const remote = await loadT5Remote('google/flan-t5-tiny', { endpoint: hub.endpoint });
      expect(cached.config).toEqual(remote.config);
      const a = cached.toTensors();
      const b = remote.toTensors();
      expect(a.map((t) => t.name)).toEqual(b.map((t) => t.name));
      a.forEach((t, i) => expect(sameBits(t.data, b[i]!.data), t.name).toBe(true));
      cached.dispose();
      remote.dispose();
    });
  },
);
