/**
 * The parity suite (run per backend by trainer-parity-wasm.test.ts and trainer-parity-cpu.test.ts,
 * two files so they run in parallel): parity of `Trainer.step` with the recorded trajectories of shared/fixtures/training/flan-t5-tiny
 * (README section 7) on wasm and cpu: every step's loss (1e-4 abs) and global gradient norm (1e-3
 * rel), then every parameter norm (1e-5 rel), the two recorded tensors (1e-5 abs), the losses after
 * the last step and the recorded second-moment state (1e-3 rel).
 */
import { initBackend, type BackendName, type T5Model } from '@flan-ts/models';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OptimizerConfig } from '../src/optim/index';
import { Trainer } from '../src/trainer';
import {
  TRAINING_DIR,
  batches,
  evalLoss,
  loadTiny,
  maxAbsDiff,
  maxRelDiff,
  norm,
  readJson,
  type RecordedTensor,
  type Trajectory,
} from './trainer-fixtures';

interface Case {
  file: string;
  optimizer: OptimizerConfig;
  clipNorm?: number;
  /** Fixture state slot → our slot. */
  slots: Record<string, string>;
}

const CASES: Case[] = [
  {
    file: 'optimizer_hf_adafactor.json',
    optimizer: { name: 'adafactor', learningRate: 1e-3 },
    slots: { exp_avg_sq_row: 'exp_avg_sq_row', exp_avg_sq_col: 'exp_avg_sq_col' },
  },
  {
    file: 'optimizer_t5x_adafactor.json',
    optimizer: { name: 'adafactor-t5x', learningRate: 1e-3 },
    slots: { v: 'v' },
  },
  {
    file: 'optimizer_t5x_adafactor_min_dim_64.json',
    optimizer: { name: 'adafactor-t5x', learningRate: 1e-3, minDimSizeToFactor: 64 },
    slots: { v_row: 'v_row', v_col: 'v_col' },
  },
  {
    file: 'optimizer_adamw.json',
    optimizer: { name: 'adamw', learningRate: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 },
    clipNorm: 1,
    slots: {},
  },
];

/** Registers the four trajectory tests on `backend`; `timeoutMs` per trajectory (cpu is ~20x slower than wasm). */
export function parityTests(backend: BackendName, timeoutMs: number): void {
  describe.skipIf(!TRAINING_DIR)(`trajectories on ${backend}`, () => {
    let model: T5Model | undefined;
    let trainer: Trainer | undefined;
    beforeAll(async () => {
      await initBackend(backend);
    });
    afterEach(() => {
      trainer?.dispose();
      model?.dispose();
      trainer = model = undefined;
    });

    for (const c of CASES) {
      it(c.file, { timeout: timeoutMs }, async () => {
        const ref = readJson<Trajectory>(c.file);
        const data = batches();
        model = await loadTiny();
        trainer = new Trainer(model, { optimizer: c.optimizer, clipNorm: c.clipNorm, training: false });
        const worst = { loss: 0, norm: 0 };
        for (const s of ref.steps) {
          const r = await trainer.step(data[s.batch]!);
          expect(r.step).toBe(s.step);
          worst.loss = Math.max(worst.loss, Math.abs(r.loss - s.loss));
          worst.norm = Math.max(worst.norm, Math.abs(r.gradNorm - s.global_grad_norm) / s.global_grad_norm);
        }
        expect(worst.loss).toBeLessThan(1e-4);
        expect(worst.norm).toBeLessThan(1e-3);
        expect(trainer.stepCount).toBe(ref.steps.length);

        const params = model.parameters();
        const normWorst = { name: '', rel: 0 };
        expect([...params.keys()].sort()).toEqual(Object.keys(ref.param_norms_after_last_step).sort());
        for (const [name, expected] of Object.entries(ref.param_norms_after_last_step)) {
          const rel = Math.abs(norm(await params.get(name)!.data()) - expected) / expected;
          if (rel > normWorst.rel) Object.assign(normWorst, { name, rel });
        }
        expect(normWorst.rel, normWorst.name).toBeLessThan(1e-5);
        for (const [name, t] of Object.entries(ref.params_after_last_step)) {
          expect(maxAbsDiff(await params.get(name)!.data(), t.data.flat()), name).toBeLessThan(1e-5);
        }
        for (const [i, expected] of ref.loss_after_last_step_per_batch.entries()) {
          expect(Math.abs((await evalLoss(model, data[i]!)) - expected)).toBeLessThan(1e-4);
        }

        const state = trainer.optimizerState();
        expect(state.step).toBe(ref.steps.length);
        for (const [param, slots] of Object.entries(ref.optimizer_state_after_last_step ?? {})) {
          for (const [slot, ours] of Object.entries(c.slots)) {
            const expected = slots[slot] as RecordedTensor;
            const t = state.tensors.get(`${param}/${ours}`);
            expect(t, `${param}/${ours}`).toBeDefined();
            expect(t!.shape).toEqual(expected.shape);
            const flat = expected.data.flat();
            // Relative to the tensor's scale: a few tiny entries of the full `v` carry only float32 noise.
            const rel = maxAbsDiff(await t!.data(), flat) / Math.max(...flat.map(Math.abs));
            expect(rel, `${param}/${ours}`).toBeLessThan(1e-3);
            expect(maxRelDiff(await t!.data(), flat, 1e-12), `${param}/${ours}`).toBeLessThan(1e-2);
          }
        }
        if (ref.factored_parameters !== undefined) {
          const factored = [...state.tensors.keys()]
            .filter((k) => k.endsWith('/v_row'))
            .map((k) => k.slice(0, -6));
          expect(factored.sort()).toEqual([...ref.factored_parameters].sort());
        }
      });
    }
  });
}
