/**
 * The trainer on a decoder-only model: one `Trainer.step` on llama-tiny's reference batch gives the
 * fixture's loss, global gradient norm and AdamW update (../shared/fixtures README section 8), and
 * the decoder-only data path lays rows out as TRL / Hugging Face do.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend, type BackendName } from '@flan-ts/models';
import { loadCausalLM } from '@flan-ts/models/node';
import { sharedFile } from '@flan-ts/test-support';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  Trainer,
  applyLora,
  chatEncoder,
  packedCausalBatch,
  padCausalBatch,
  promptCompletionEncoder,
  targetTokenCount,
  type CausalIdBatch,
} from '../src/index';

const llama = sharedFile('fixtures/models/llama-tiny');

interface Reference {
  inputs: { input_ids: number[][]; attention_mask: number[][]; labels: number[][] };
  loss: number;
  num_loss_tokens: number;
  global_grad_norm: number;
  adamw: {
    hyperparameters: { lr: number; betas: [number, number]; eps: number; weight_decay: number };
    loss_after_step: number;
    param_norms_after_step: Record<string, number>;
  };
}

const l2 = (data: ArrayLike<number>) => Math.sqrt(Array.from(data).reduce((s, v) => s + v * v, 0));

for (const backend of ['wasm', 'cpu'] as BackendName[]) {
  describe.skipIf(!llama)(`Trainer on llama-tiny (${backend})`, () => {
    it('one AdamW step: the reference loss, gradient norm, parameter norms and loss after the step', async () => {
      await initBackend(backend);
      const ref = JSON.parse(readFileSync(join(llama!, 'reference.json'), 'utf8')) as Reference;
      const model = await loadCausalLM(llama!);
      const before = tf.memory().numTensors;
      const batch: CausalIdBatch = {
        input_ids: ref.inputs.input_ids,
        attention_mask: ref.inputs.attention_mask,
        labels: ref.inputs.labels,
      };
      expect(targetTokenCount(batch)).toBe(ref.num_loss_tokens);
      const h = ref.adamw.hyperparameters;
      const trainer = new Trainer(model, {
        optimizer: {
          name: 'adamw',
          learningRate: h.lr,
          betas: h.betas,
          eps: h.eps,
          weightDecay: h.weight_decay,
        },
      });
      const step = await trainer.step(batch);
      expect(Math.abs(step.loss - ref.loss)).toBeLessThan(1e-5);
      expect(Math.abs(step.gradNorm - ref.global_grad_norm) / ref.global_grad_norm).toBeLessThan(1e-3);
      expect(step.targetTokens).toBe(ref.num_loss_tokens);
      for (const [name, norm] of Object.entries(ref.adamw.param_norms_after_step)) {
        const got = l2(model.parameters().get(name)!.dataSync());
        expect(Math.abs(got - norm) / norm, name).toBeLessThan(1e-5);
      }
      // The loss of the next step is the loss after this update.
      const next = await trainer.step(batch);
      expect(Math.abs(next.loss - ref.adamw.loss_after_step)).toBeLessThan(1e-5);
      trainer.dispose();
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    }, 120_000);

    it('micro-batches are weighted by their shifted targets: accumulating rows equals the union', async () => {
      await initBackend(backend);
      const ref = JSON.parse(readFileSync(join(llama!, 'reference.json'), 'utf8')) as Reference;
      const rows = (i: number[]): CausalIdBatch => ({
        input_ids: i.map((r) => ref.inputs.input_ids[r]!),
        attention_mask: i.map((r) => ref.inputs.attention_mask[r]!),
        labels: i.map((r) => ref.inputs.labels[r]!),
      });
      const union = await loadCausalLM(llama!);
      const split = await loadCausalLM(llama!);
      const opt = { optimizer: { name: 'adamw' as const, learningRate: 1e-3 } };
      const [a, b] = [new Trainer(union, opt), new Trainer(split, opt)];
      const whole = await a.step(rows([0, 1, 2]));
      const parts = await b.step([rows([0]), rows([1, 2])]);
      expect(Math.abs(parts.loss - whole.loss)).toBeLessThan(1e-5);
      expect(Math.abs(parts.gradNorm - whole.gradNorm) / whole.gradNorm).toBeLessThan(1e-4);
      a.dispose();
      b.dispose();
      union.dispose();
      split.dispose();
    }, 120_000);

    if (backend === 'wasm')
      it("LoRA's lora_dropout drops the adapters' inputs in training steps, seeded per step", async () => {
        await initBackend(backend);
        const ref = JSON.parse(readFileSync(join(llama!, 'reference.json'), 'utf8')) as Reference;
        const batch: CausalIdBatch = {
          input_ids: ref.inputs.input_ids,
          attention_mask: ref.inputs.attention_mask,
          labels: ref.inputs.labels,
        };
        // B starts at zero (PEFT), so the adapters only change the loss from the second step on.
        const secondLoss = async (dropout: number, training?: boolean) => {
          const model = await loadCausalLM(llama!);
          const adapter = applyLora(
            model,
            { r: 4, alpha: 8, dropout, targetModules: ['q_proj', 'v_proj'] },
            3,
          );
          const trainer = new Trainer(model, {
            optimizer: { name: 'adamw', learningRate: 1e-2 },
            trainable: adapter.variables(),
            ...(training !== undefined ? { training } : {}),
          });
          await trainer.step(batch);
          const { loss } = await trainer.step(batch);
          trainer.dispose();
          adapter.dispose();
          model.dispose();
          return loss;
        };
        const dropped = await secondLoss(0.5);
        expect(await secondLoss(0.5)).toBe(dropped);
        const plain = await secondLoss(0);
        expect(Math.abs(dropped - plain)).toBeGreaterThan(1e-5);
        expect(await secondLoss(0.5, false)).toBe(plain);
      }, 120_000);
  });
}

describe('decoder-only rows', () => {
  const examples = [
    { inputs: [5, 6, 7], targets: [8, 9, 2] },
    { inputs: [10], targets: [11, 2] },
  ];

  it('padding: prompt ++ response, the loss on the response, right-padded with the pad id', () => {
    const batch = padCausalBatch(examples, { inputLength: 4, targetLength: 4 }, 0);
    expect(batch.input_ids).toEqual([
      [5, 6, 7, 8, 9, 2],
      [10, 11, 2, 0, 0, 0],
    ]);
    expect(batch.attention_mask).toEqual([
      [1, 1, 1, 1, 1, 1],
      [1, 1, 1, 0, 0, 0],
    ]);
    expect(batch.labels).toEqual([
      [-100, -100, -100, 8, 9, 2],
      [-100, 11, 2, -100, -100, -100],
    ]);
    // Shifted targets: position t predicts labels[t+1].
    expect(targetTokenCount(batch)).toBe(5);
  });

  it('packing: segments, positions restarting per example, no target across a boundary', () => {
    const batch = packedCausalBatch([examples], { inputLength: 5, targetLength: 5 }, 0);
    expect(batch.input_ids).toEqual([[5, 6, 7, 8, 9, 2, 10, 11, 2, 0]]);
    expect(batch.segment_ids).toEqual([[1, 1, 1, 1, 1, 1, 2, 2, 2, 0]]);
    expect(batch.position_ids).toEqual([[0, 1, 2, 3, 4, 5, 0, 1, 2, 0]]);
    expect(batch.attention_mask).toEqual([[1, 1, 1, 1, 1, 1, 1, 1, 1, 0]]);
    expect(batch.labels).toEqual([[-100, -100, -100, 8, 9, 2, -100, 11, 2, -100]]);
  });

  it("prompt-completion encoding adds the tokenizer's special tokens to the prompt and eos to the completion", () => {
    const tokenizer = {
      encode: (text: string, o: { addSpecialTokens?: boolean } = {}) => ({
        ids: [...(o.addSpecialTokens === false ? [] : [1]), ...[...text].map((c) => c.charCodeAt(0))],
      }),
    };
    expect(promptCompletionEncoder(tokenizer, 2).text('ab', 'c')).toEqual({
      inputs: [1, 97, 98],
      targets: [99, 2],
      eos: 2,
    });
    // Through a chat template: no special tokens added; the response is the reply and its end marker.
    const template = {
      render: (
        messages: readonly { role: string; content: string }[],
        o: { addGenerationPrompt?: boolean },
      ) =>
        messages.map((m) => `<${m.role}>${m.content}|`).join('') +
        (o.addGenerationPrompt ? '<assistant>' : ''),
    };
    const chat = chatEncoder(tokenizer, template).text('hi', 'yo');
    const text = (ids: number[]) => String.fromCharCode(...ids);
    expect(text(chat.inputs)).toBe('<user>hi|<assistant>');
    expect(text(chat.targets)).toBe('yo|');
  });
});
