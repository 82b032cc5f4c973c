import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index';
import { loadT5 as loadT5Remote } from '../src/index';
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
