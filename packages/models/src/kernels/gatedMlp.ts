/**
 * The SiLU-gated MLP sublayer of Llama-family blocks, `x + down(silu(gate(n)) · up(n))` with
 * `n = RMSNorm(x)` (`post_attention_layernorm`), and `silu(g) = g·σ(g)`, as one differentiable op.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import { keyedOp } from './customOp';
import { dense, denseGrads, denseInputs, type Dense, type DenseInputName } from './dense';
import type { DropoutSpec } from './dropout';
import { loraDropout } from './projection';
import { rmsNormForward, rmsNormGrads } from './rmsNorm';

export interface GatedMlpWeights {
  norm: Tensor1D;
  gate: Dense;
  up: Dense;
  down: Dense;
}

type InputName = 'x' | 'norm' | DenseInputName<'gate' | 'up' | 'down'>;

type DenseName = 'gate' | 'up' | 'down';

/** The adapters' input dropout of `name` in a training pass whose sublayer dropout is `drop`. */
const adapterDrop = (w: GatedMlpWeights, drop: DropoutSpec | undefined, name: DenseName) =>
  loraDropout(w[name].p, drop, name);

function forwardWithActivations(x: Tensor2D, w: GatedMlpWeights, eps: number, drop?: DropoutSpec) {
  const { y: n, r } = rmsNormForward(x, w.norm, eps);
  const g = dense(n, w.gate, adapterDrop(w, drop, 'gate'));
  const u = dense(n, w.up, adapterDrop(w, drop, 'up'));
  const m = tf.mul(tf.mul(g, tf.sigmoid(g)), u) as Tensor2D;
  const y = tf.add(x, dense(m, w.down, adapterDrop(w, drop, 'down'))) as Tensor2D;
  return { n, r, g, u, m, y };
}

/** The sublayer's output, keeping nothing for a gradient. */
export function gatedMlpForward(x: Tensor2D, w: GatedMlpWeights, eps: number, drop?: DropoutSpec): Tensor2D {
  return tf.tidy(() => forwardWithActivations(x, w, eps, drop).y);
}

/**
 * {@link gatedMlpForward} differentiable with respect to `x` and the weights:
 * `dg = dm·u·σ(g)·(1 + g·(1 − σ(g)))`, `du = dm·silu(g)`. With `recompute` only `x` is kept and the
 * backward pass reruns the forward. `drop`, the training pass's dropout of this sublayer, seeds the
 * adapters' input dropout.
 */
export function gatedMlpSublayer(
  x: Tensor2D,
  w: GatedMlpWeights,
  eps: number,
  recompute = false,
  drop?: DropoutSpec,
): Tensor2D {
  const inputs: Partial<Record<InputName, Tensor>> = { x, norm: w.norm };
  for (const name of ['gate', 'up', 'down'] as const) denseInputs(name, w[name], inputs);
  return keyedOp(inputs, (save) => {
    let value: Tensor2D;
    if (recompute) {
      value = gatedMlpForward(x, w, eps, drop);
      save([x]);
    } else {
      const f = tf.tidy(() => {
        const all = forwardWithActivations(x, w, eps, drop);
        return { y: all.y, acts: [all.n, all.r, all.g, all.u, all.m] };
      });
      value = f.y;
      save([x, ...f.acts]);
      tf.dispose(f.acts);
    }
    return {
      value,
      gradFunc: (dy, saved, wanted) => {
        const grads = tf.tidy(() => {
          const xs = saved[0] as Tensor2D;
          const [n, r, g, u, m] = recompute
            ? (({ n, r, g, u, m }) => [n, r, g, u, m])(forwardWithActivations(xs, w, eps, drop))
            : (saved.slice(1) as Tensor2D[]);
          const out: Partial<Record<InputName, Tensor>> = {};
          const dm = denseGrads(
            'down',
            dy as Tensor2D,
            m!,
            w.down,
            wanted,
            out,
            adapterDrop(w, drop, 'down'),
          );
          const s = tf.sigmoid(g!);
          const silu = tf.mul(g!, s);
          const dSilu = tf.mul(s, tf.add(tf.scalar(1), tf.mul(g!, tf.sub(tf.scalar(1), s))));
          const dg = tf.mul(tf.mul(dm, u!), dSilu) as Tensor2D;
          const du = tf.mul(dm, silu) as Tensor2D;
          const dn = tf.add(
            denseGrads('gate', dg, n!, w.gate, wanted, out, adapterDrop(w, drop, 'gate')),
            denseGrads('up', du, n!, w.up, wanted, out, adapterDrop(w, drop, 'up')),
          ) as Tensor2D;
          const gNorm = rmsNormGrads(dn, xs, w.norm, r!);
          out.x = tf.add(dy, gNorm.dx);
          if (wanted.has('norm')) out.norm = gNorm.dw;
          return out as tf.NamedTensorMap;
        });
        for (const t of saved) t.dispose();
        return grads;
      },
    };
  }) as Tensor2D;
}
