/**
 * Token cross-entropy as Hugging Face computes it (`CrossEntropyLoss(ignore_index=-100)`, optional
 * `label_smoothing`), plus t5x's z-loss `zLoss · log(Σ exp(logits))²` per token. The mean is over
 * the label positions that are not -100. The log-softmax is shifted by the row maximum, so it is
 * stable for any logits.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import { customOp } from '../kernels/customOp';
import { FUSED_KERNELS, FusedLabelError, fusable } from '../kernels/wasm/fused';

/** Label value that contributes no loss (padding of the targets). */
export const IGNORE_INDEX = -100;

export interface LossOptions {
  /** ε in `(1 − ε)·nll + ε·mean over classes of −log p` (HF / torch semantics); default 0. */
  labelSmoothing?: number;
  /** Coefficient of t5x's z-loss `log(Z)²` per token (t5x uses 1e-4); default 0. */
  zLoss?: number;
}

/** Raised for labels or logits the loss cannot take (shapes, dtypes, label ids out of range). */
export class LossInputError extends Error {
  constructor(
    message: string,
    readonly input: string,
  ) {
    super(`${input}: ${message}`);
    this.name = 'LossInputError';
  }
}

function checkOptions(options: LossOptions): { smoothing: number; z: number } {
  const smoothing = options.labelSmoothing ?? 0;
  const z = options.zLoss ?? 0;
  if (!(smoothing >= 0 && smoothing < 1))
    throw new LossInputError(`must be in [0, 1), got ${smoothing}`, 'labelSmoothing');
  if (!(z >= 0 && Number.isFinite(z)))
    throw new LossInputError(`must be a finite number ≥ 0, got ${z}`, 'zLoss');
  return { smoothing, z };
}

/** Logits as `[tokens, vocab]` and labels as int32 `[tokens]`, with shape checks. */
function flatten(logits: Tensor, labels: Tensor): { logits2d: Tensor2D; labels1d: Tensor1D } {
  if (labels.dtype !== 'int32')
    throw new LossInputError(`expected int32 labels, got ${labels.dtype}`, 'labels');
  const vocab = logits.shape[logits.rank - 1]!;
  const tokens = labels.size;
  // [b, t, V] with [b, t] labels, or [b·t, V] with [b·t] or [b, t].
  if (logits.rank < 2 || logits.size !== tokens * vocab) {
    throw new LossInputError(
      `shape [${logits.shape.join(', ')}] does not match labels [${labels.shape.join(', ')}]`,
      'logits',
    );
  }
  return {
    logits2d: tf.reshape(logits, [tokens, vocab]) as Tensor2D,
    labels1d: tf.reshape(labels, [tokens]) as Tensor1D,
  };
}

/**
 * Per-token loss pieces for `[n, V]` logits: `loss` `[n]` (0 at ignored positions), the log-partition
 * `lse` `[n, 1]` and the keep mask `[n]`.
 */
function tokenTerms(logits: Tensor2D, labels: Tensor1D, smoothing: number, z: number) {
  const [n, vocab] = logits.shape;
  const keep = tf.cast(tf.notEqual(labels, tf.scalar(IGNORE_INDEX, 'int32')), 'float32') as Tensor1D;
  const safe = tf.mul(labels, tf.cast(keep, 'int32')) as Tensor1D;
  const max = tf.max(logits, -1, true);
  // exp(logits − max) is kept: the softmax for the gradient is it divided by its row sum.
  const shifted = tf.exp(tf.sub(logits, max)) as Tensor2D;
  const sumExp = tf.sum(shifted, -1, true) as Tensor2D;
  const lse = tf.add(tf.log(sumExp), max) as Tensor2D;
  // logits[i, label_i] through a flat gather (wasm's gather with batchDims is wrong).
  const flatIndex = tf.add(tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(vocab, 'int32')), safe);
  const target = tf.gather(tf.reshape(logits, [n * vocab]), flatIndex);
  const lse1 = tf.reshape(lse, [n]);
  let loss: Tensor = tf.sub(lse1, target);
  if (smoothing > 0) {
    const uniform = tf.sub(lse1, tf.mean(logits, -1));
    loss = tf.add(tf.mul(loss, tf.scalar(1 - smoothing)), tf.mul(uniform, tf.scalar(smoothing)));
  }
  if (z > 0) loss = tf.add(loss, tf.mul(tf.square(lse1), tf.scalar(z)));
  return { loss: tf.mul(loss, keep) as Tensor1D, lse, keep, flatIndex, shifted, sumExp };
}

/**
 * Per-token losses `[n]` (0 at ignored positions) and log-partitions `lse` `[n]` from the fused wasm
 * kernel: max, Σexp and the target logit in two passes over each row, no `[n, V]` intermediates.
 */
function fusedTokenTerms(logits: Tensor2D, labels: Tensor1D, smoothing: number, z: number) {
  try {
    const [loss, lse] = tf
      .engine()
      .runKernel(FUSED_KERNELS.crossEntropy, { logits, labels }, { labelSmoothing: smoothing, zLoss: z }) as [
      Tensor1D,
      Tensor1D,
    ];
    return { loss, lse };
  } catch (e) {
    if (e instanceof FusedLabelError) {
      throw new LossInputError(
        `${e.count} label id(s) outside [0, ${logits.shape[1]}) that are not ${IGNORE_INDEX}`,
        'labels',
      );
    }
    throw e;
  }
}

/**
 * Per-token losses with the labels' shape (`[batch, tgtLen]` for `[batch, tgtLen, V]` logits), 0 at
 * ignored positions. Not differentiable: use `crossEntropyLoss` for training.
 */
export function tokenCrossEntropy(logits: Tensor, labels: Tensor, options: LossOptions = {}): Tensor {
  const { smoothing, z } = checkOptions(options);
  return tf.tidy(() => {
    const { logits2d, labels1d } = flatten(logits, labels);
    if (fusable(FUSED_KERNELS.crossEntropy, logits2d)) {
      return tf.reshape(fusedTokenTerms(logits2d, labels1d, smoothing, z).loss, labels.shape);
    }
    return tf.reshape(tokenTerms(logits2d, labels1d, smoothing, z).loss, labels.shape);
  });
}

/**
 * Mean token loss over the positions whose label is not -100 (0 when there are none), differentiable
 * with respect to `logits`. The gradient is the closed form `(softmax − target) · (1 + 2z·lse)`-style
 * expression, so no logits-sized intermediates are kept for the backward pass.
 */
export function crossEntropyLoss(logits: Tensor, labels: Tensor, options: LossOptions = {}): Scalar {
  const { smoothing, z } = checkOptions(options);
  const shape = logits.shape;
  if (fusable(FUSED_KERNELS.crossEntropy, logits) && fusable(FUSED_KERNELS.crossEntropyGrad)) {
    return fusedLoss(logits, labels, smoothing, z);
  }
  const op = customOp(([logitsIn], save) => {
    const [n, vocab] = [labels.size, logitsIn!.shape[logitsIn!.rank - 1]!];
    // The softmax the gradient needs is computed here once and kept, instead of the logits.
    const kept = tf.tidy(() => {
      const { logits2d, labels1d } = flatten(logitsIn!, labels);
      const t = tokenTerms(logits2d, labels1d, smoothing, z);
      const count = tf.maximum(tf.sum(t.keep), tf.scalar(1));
      return {
        value: tf.div(tf.sum(t.loss), count),
        // One broadcast multiply instead of a second (broadcast) subtract and exp over [tokens, vocab].
        probs: tf.mul(t.shifted, tf.reciprocal(t.sumExp)),
        lse: t.lse,
        scale: tf.div(t.keep, count),
        flatIndex: t.flatIndex,
      };
    });
    save([kept.probs, kept.lse, kept.scale, kept.flatIndex]);
    tf.dispose([kept.probs, kept.lse, kept.scale, kept.flatIndex]);
    return {
      value: kept.value,
      gradFunc: (dy, saved) => {
        const [probs, lse, scale, flatIndex] = saved as [Tensor2D, Tensor2D, Tensor1D, Tensor1D];
        const grad = tf.tidy(() => {
          // d/dlogits of the per-token loss: softmax·(1 + 2z·lse) − (1 − ε)·onehot − ε/V.
          let g: Tensor = z > 0 ? tf.mul(probs, tf.add(tf.scalar(1), tf.mul(lse, tf.scalar(2 * z)))) : probs;
          // The target term through scatterND: wasm's oneHot with dtype float32 returns zeros (tfjs 4.22).
          const target = tf.scatterND(tf.reshape(flatIndex, [n, 1]), tf.fill([n], 1 - smoothing), [
            n * vocab,
          ]);
          g = tf.sub(g, tf.reshape(target, [n, vocab]));
          if (smoothing > 0) g = tf.sub(g, tf.scalar(smoothing / vocab));
          return tf.reshape(tf.mul(g, tf.reshape(tf.mul(scale, dy), [-1, 1])), shape);
        });
        tf.dispose(saved);
        return grad;
      },
    };
  });
  return op(logits) as Scalar;
}

/**
 * `crossEntropyLoss` on the fused wasm kernels. Only the per-token `lse` is kept for the gradient
 * (besides the logits, which the caller holds anyway): the backward pass recomputes the softmax as
 * `exp(x − lse)` in the same pass that writes the gradient.
 */
function fusedLoss(logits: Tensor, labels: Tensor, smoothing: number, z: number): Scalar {
  const shape = logits.shape;
  const attrs = { labelSmoothing: smoothing, zLoss: z };
  const op = customOp(([logitsIn], save) => {
    const kept = tf.tidy(() => {
      const { logits2d, labels1d } = flatten(logitsIn!, labels);
      const { loss, lse } = fusedTokenTerms(logits2d, labels1d, smoothing, z);
      const keep = tf.notEqual(labels1d, tf.scalar(IGNORE_INDEX, 'int32'));
      const count = tf.maximum(tf.sum(tf.cast(keep, 'float32')), tf.scalar(1));
      return { value: tf.div(tf.sum(loss), count) as Scalar, logits2d, labels1d, lse };
    });
    const keptTensors = [kept.logits2d, kept.labels1d, kept.lse];
    save(keptTensors);
    tf.dispose(keptTensors);
    return {
      value: kept.value,
      gradFunc: (dy, saved) => {
        const [logits2d, labels1d, lse] = saved as [Tensor2D, Tensor1D, Tensor1D];
        const grad = tf.tidy(() => {
          const dLoss = dy.dtype === 'float32' ? dy : tf.cast(dy, 'float32');
          const g = tf
            .engine()
            .runKernel(
              FUSED_KERNELS.crossEntropyGrad,
              { logits: logits2d, labels: labels1d, lse, dLoss },
              attrs,
            ) as Tensor;
          return tf.reshape(g, shape);
        });
        tf.dispose(saved);
        return grad;
      },
    };
  });
  return op(logits) as Scalar;
}
