/**
 * Gradients with respect to some variables only (a LoRA adapter's, or a subset of the parameters):
 * the other weights are constants of the computation, so their weight-gradient products are skipped,
 * and the gradients asked for are the same bits as when every weight's gradient is computed too.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor2D } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index';
import { computeCausalGradients } from '../src/causal/gradients';
import type { CausalLMModel } from '../src/causal/model';
import { computeGradients } from '../src/t5/gradients';
import type { T5Model } from '../src/t5/model';
import { causalBatch, causalFixtureDir, loadCausalFixture, loadCausalModel } from './causal-fixtures';
import { fixtureDir, loadFixture, loadModel, referenceBatch, sameBits } from './t5-fixtures';

/** An adapter of rank 2 on every module whose name ends in `.q`/`q_proj` or `.v`/`v_proj`. */
function attachAdapter(model: T5Model | CausalLMModel, tag: string): Map<string, tf.Variable> {
  const variables = new Map<string, tf.Variable>();
  let seed = 0;
  for (const [module, [out, inp]] of model.adaptableModules()) {
    if (!/(\.q|\.v|q_proj|v_proj)$/.test(module)) continue;
    const a = tf.variable(tf.randomUniform([2, inp], -1, 1, 'float32', ++seed), true, `${tag}/${module}.a`);
    const b = tf.variable(
      tf.randomUniform([out, 2], -0.3, 0.3, 'float32', 100 + seed),
      true,
      `${tag}/${module}.b`,
    );
    variables.set(`${module}.lora_A`, a).set(`${module}.lora_B`, b);
    model.setLora(module, { a: a as Tensor2D, b: b as Tensor2D, scale: 2 });
  }
  return variables;
}

/** The gradients `run` gives and the number of matrix products it ran. */
async function profiled(run: () => { loss: tf.Tensor; grads: Map<string, tf.Tensor> }) {
  let out: Map<string, Float32Array> | undefined;
  const info = await tf.profile(() => {
    const { loss, grads } = run();
    out = new Map([...grads].map(([name, g]) => [name, g.dataSync() as Float32Array]));
    tf.dispose([loss, ...grads.values()]);
  });
  const products = info.kernels.filter((k) => k.name === 'BatchMatMul' || k.name === '_FusedMatMul').length;
  return { grads: out!, products };
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`gradients of some variables only, on ${backend}`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    it.skipIf(!causalFixtureDir('llama-tiny'))(
      'llama-tiny LoRA on q/v: base weight products skipped, same adapter gradients',
      async () => {
        const model = loadCausalModel('llama-tiny');
        const layers = model.config.numLayers;
        const variables = attachAdapter(model, `frozen-${backend}`);
        const batch = causalBatch(loadCausalFixture('llama-tiny').reference);
        const before = tf.memory().numTensors;
        const lora = await profiled(() => computeCausalGradients(model, batch, { variables }));
        const everything = new Map([...model.parameters(), ...variables]);
        const all = await profiled(() => computeCausalGradients(model, batch, { variables: everything }));
        expect(tf.memory().numTensors).toBe(before);

        expect([...lora.grads.keys()].sort()).toEqual([...variables.keys()].sort());
        for (const name of variables.keys())
          expect(sameBits(lora.grads.get(name)!, all.grads.get(name)!), name).toBe(true);
        // Each of the 7 projections per layer and the tied LM head skip their weight-gradient product.
        expect(all.products - lora.products).toBeGreaterThanOrEqual(7 * layers + 1);

        // A subset of the parameters: the others' products are skipped too, the asked-for ones unchanged.
        for (const module of model.adaptableModules().keys()) model.setLora(module, undefined);
        const some = ['model.layers.0.mlp.down_proj.weight', 'model.norm.weight'];
        const subset = await profiled(() => computeCausalGradients(model, batch, { parameters: some }));
        const full = await profiled(() => computeCausalGradients(model, batch));
        expect([...subset.grads.keys()].sort()).toEqual([...some].sort());
        for (const name of some)
          expect(sameBits(subset.grads.get(name)!, full.grads.get(name)!), name).toBe(true);
        expect(full.products - subset.products).toBeGreaterThanOrEqual(7 * layers);
        tf.dispose([...variables.values(), ...Object.values(batch)]);
        model.dispose();
      },
    );

    it.skipIf(!fixtureDir('flan-t5-tiny'))(
      'flan-t5-tiny LoRA on q/v: base weight products skipped, same adapter gradients',
      async () => {
        const model = loadModel('flan-t5-tiny');
        const variables = attachAdapter(model, `frozen-t5-${backend}`);
        const batch = referenceBatch(loadFixture('flan-t5-tiny').reference);
        const lora = await profiled(() => computeGradients(model, batch, { variables }));
        const all = await profiled(() =>
          computeGradients(model, batch, { variables: new Map([...model.parameters(), ...variables]) }),
        );
        for (const name of variables.keys())
          expect(sameBits(lora.grads.get(name)!, all.grads.get(name)!), name).toBe(true);
        const projections = [...model.adaptableModules().keys()].length;
        expect(all.products - lora.products).toBeGreaterThanOrEqual(projections);
        tf.dispose([...variables.values(), ...Object.values(batch)]);
        model.dispose();
      },
    );
  });
}
