import { describe, expect, it } from 'vitest';
import type { IdBatch } from '../src/batch';
import { fit, type BatchStream, type SteppingTrainer } from '../src/loop';
import type { RunMetrics } from '../src/report/metrics';

/** Batch k: one row whose single label is k (so the fake trainer can see which batches it got). */
function batch(k: number): IdBatch {
  return {
    input_ids: [[5, 1, 0]],
    attention_mask: [[1, 1, 0]],
    decoder_input_ids: [[0, k]],
    labels: [[k, -100]],
  };
}

function stream(n: number, start = 0): BatchStream & { position: number } {
  return {
    position: start,
    next() {
      return this.position < n ? { batch: batch(this.position++) } : undefined;
    },
    state() {
      return { position: this.position };
    },
  };
}

function fakeTrainer(start = 0): SteppingTrainer & { seen: number[][] } {
  return {
    stepCount: start,
    seen: [],
    async step(b) {
      const list = Array.isArray(b) ? b : [b];
      this.seen.push(list.map((x) => x.labels[0]![0]!));
      (this as { stepCount: number }).stepCount++;
      return { loss: 10 / this.stepCount, gradNorm: 1 };
    },
  };
}

describe('fit', () => {
  it('accumulates micro-batches, logs each step, evaluates and saves on schedule and at the end', async () => {
    const trainer = fakeTrainer();
    const metrics: RunMetrics[] = [];
    const saves: unknown[] = [];
    const result = await fit(trainer, stream(100), {
      steps: 5,
      gradAccum: 2,
      evalEvery: 2,
      saveEvery: 2,
      learningRate: () => 1e-3,
      evaluate: async () => ({ loss: 1.5, tokens: 3 }),
      save: async (p) => void saves.push(p),
      onMetrics: (m) => void metrics.push(m),
    });
    expect(result).toEqual({ step: 5, examplesSeen: 10, stoppedBy: 'steps', lastLoss: 2 });
    expect(trainer.seen).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
      [6, 7],
      [8, 9],
    ]);
    expect(metrics.filter((m) => m.kind === 'eval').map((m) => m.step)).toEqual([0, 2, 4, 5]);
    const train = metrics.filter((m) => m.kind === 'train');
    expect(train.map((m) => m.step)).toEqual([1, 2, 3, 4, 5]);
    expect(train[0]!.padding_fraction).toBeCloseTo(1 - 3 / 5);
    expect(train[0]!.learning_rate).toBe(1e-3);
    expect(saves).toEqual([
      { step: 2, examplesSeen: 4, data: { position: 4 } },
      { step: 4, examplesSeen: 8, data: { position: 8 } },
      { step: 5, examplesSeen: 10, data: { position: 10 } },
    ]);
  });

  it('a resumed run continues from the trainer step and the stream position: same batches as one run', async () => {
    const straight = fakeTrainer();
    await fit(straight, stream(100), { steps: 6 });
    const first = fakeTrainer();
    const s = stream(100);
    await fit(first, s, { steps: 2 });
    const second = fakeTrainer(first.stepCount);
    await fit(second, stream(100, s.position), { steps: 6 });
    expect([...first.seen, ...second.seen]).toEqual(straight.seen);
  });

  it('stops when the data runs out, and on abort after the current step, saving either way', async () => {
    const saves: number[] = [];
    const out = await fit(fakeTrainer(), stream(3), {
      steps: 10,
      save: async (p) => void saves.push(p.step),
    });
    expect(out.stoppedBy).toBe('data');
    expect(out.step).toBe(3);
    const controller = new AbortController();
    const trainer = fakeTrainer();
    const aborted = await fit(trainer, stream(100), {
      steps: 10,
      signal: controller.signal,
      onProgress: (p) => p.step === 2 && controller.abort(),
      save: async (p) => void saves.push(p.step),
    });
    expect(aborted).toMatchObject({ stoppedBy: 'abort', step: 2 });
    expect(saves).toEqual([3, 2]);
  });

  it('a failing step (NaN loss) propagates and saves nothing', async () => {
    const trainer: SteppingTrainer = {
      stepCount: 0,
      step: async () => {
        throw new Error('step 1: loss is NaN');
      },
    };
    const saves: number[] = [];
    await expect(
      fit(trainer, stream(10), { steps: 3, save: async (p) => void saves.push(p.step) }),
    ).rejects.toThrow(/NaN/);
    expect(saves).toEqual([]);
  });
});
