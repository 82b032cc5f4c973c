/**
 * One scoring batch under a decoder-only model. Each distinct prompt is prefilled once (left-padded,
 * positions from the mask, as generation does); its keys/values are repeated for every target scored
 * against it, and the targets (all but their last token) run as one cached step, right-padded. The
 * first target token is scored by the prompt's last logits, token j > 0 by the logits after token j−1.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import type { CausalLM } from '../causal/interface';
import { positionsFromMask } from '../causal/masks';
import { ScoringError } from './errors';

/** What `scoreTargets` hands a batch: the requests and which (request, target) pairs to score. */
export interface CausalScoringBatch {
  requests: readonly { inputIds: readonly number[]; targets: readonly (readonly number[])[] }[];
  pairs: readonly { request: number; target: number }[];
}

export async function scoreCausalBatch(
  model: CausalLM,
  { requests, pairs }: CausalScoringBatch,
): Promise<{ tokenLogprobs: number[]; sumLogprob: number }[]> {
  const vocab = model.vocabSize;
  const used = [...new Set(pairs.map((p) => p.request))];
  const prompts = used.map((r) => requests[r]!.inputIds);
  const width = Math.max(...prompts.map((p) => p.length));
  const promptMask = prompts.map((p) =>
    Array.from({ length: width }, (_, i) => (i < width - p.length ? 0 : 1)),
  );
  const padded = prompts.map((p) => [...new Array<number>(width - p.length).fill(model.padTokenId), ...p]);
  const rowOf = pairs.map((p) => used.indexOf(p.request));
  const targets = pairs.map((p) => requests[p.request]!.targets[p.target]!);
  // Tokens fed after the prompt: every target token but the last (its successor is not scored).
  const fedLen = Math.max(...targets.map((t) => t.length)) - 1;
  // Flat picks into the rows [prompt last logits (pairs)] ++ [step logits (pairs · fedLen)].
  const pickRows: number[] = [];
  const picks: number[] = [];
  targets.forEach((target, r) =>
    target.forEach((id, j) => {
      const row = j === 0 ? r : pairs.length + r * fedLen + (j - 1);
      pickRows.push(row);
      picks.push(row * vocab + id);
    }),
  );

  const [logNormalizer, picked] = tf.tidy(() => {
    const prefill = model.decode(
      {
        inputIds: tf.tensor2d(padded, undefined, 'int32'),
        attentionMask: tf.tensor2d(promptMask, undefined, 'int32'),
        positionIds: tf.tensor2d(positionsFromMask(promptMask), undefined, 'int32'),
      },
      undefined,
      { lastPositionOnly: true },
    );
    const rows = tf.tensor1d(rowOf, 'int32');
    let scored = tf.gather(tf.reshape(prefill.logits, [-1, vocab]), rows) as Tensor2D;
    if (fedLen > 0) {
      const cache = prefill.cache.select(rowOf);
      const fed = targets.map((t) =>
        Array.from({ length: fedLen }, (_, j) => (j < t.length - 1 ? t[j]! : model.padTokenId)),
      );
      const mask = targets.map((t, r) => [
        ...promptMask[rowOf[r]!]!,
        ...Array.from({ length: fedLen }, (_, j) => (j < t.length - 1 ? 1 : 0)),
      ]);
      const positions = rowOf.map((u) => Array.from({ length: fedLen }, (_, j) => prompts[u]!.length + j));
      const step = model.decode(
        {
          inputIds: tf.tensor2d(fed, undefined, 'int32'),
          attentionMask: tf.tensor2d(mask, undefined, 'int32'),
          positionIds: tf.tensor2d(positions, undefined, 'int32'),
        },
        cache,
      );
      cache.dispose();
      step.cache.dispose();
      if (step.logits.shape[1] !== fedLen || step.logits.shape[2] !== vocab) {
        throw new ScoringError(`the model returned logits of shape [${step.logits.shape.join(', ')}]`);
      }
      scored = tf.concat([scored, tf.reshape(step.logits, [-1, vocab])]) as Tensor2D;
    }
    prefill.cache.dispose();
    const lse = tf.logSumExp(scored, 1) as Tensor1D;
    return [
      tf.gather(lse, tf.tensor1d(pickRows, 'int32')) as Tensor1D,
      tf.gather(tf.reshape(scored, [-1]), tf.tensor1d(picks, 'int32')) as Tensor1D,
    ];
  });
  try {
    const [lse, chosen] = await Promise.all([logNormalizer.data(), picked.data()]);
    let at = 0;
    return targets.map((target, row) => {
      const tokenLogprobs = target.map(() => {
        const value = Math.fround(chosen[at]! - lse[at]!);
        at += 1;
        return value;
      });
      const logprob = tokenLogprobs.reduce((a, b) => a + b, 0);
      if (Number.isNaN(logprob)) throw new ScoringError(`the model's logits for pair ${row} contain NaN`);
      return { tokenLogprobs, sumLogprob: Math.fround(logprob) };
    });
  } finally {
    tf.dispose([logNormalizer, picked]);
  }
}
