/**
 * Row lookups (token embeddings, relative-position bias) whose gradient scatters rows back into the
 * table. tfjs's own gather gradient uses `UnsortedSegmentSum`, which the WASM backend lacks;
 * `scatterND` sums duplicate indices, so it gives the same exact sum on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import { customOp } from './customOp';

/** Sums the rows of `rows` `[n, d]` into a `[numRows, d]` table at `indices` (int32 `[n]`). */
export function scatterRows(rows: Tensor2D, indices: Tensor1D, numRows: number): Tensor2D {
  return tf.tidy(
    () => tf.scatterND(tf.reshape(indices, [-1, 1]), rows, [numRows, rows.shape[1]]) as Tensor2D,
  );
}

/** `table[indices]` `[n, d]` for int32 `indices` `[n]`, differentiable with respect to `table`. */
export function embeddingLookup(table: Tensor2D, indices: Tensor1D): Tensor2D {
  const numRows = table.shape[0];
  // The indices are saved (not closed over): the caller's copy may be disposed before the backward pass.
  const op = customOp(([tableIn], save) => {
    save([indices]);
    return {
      value: tf.gather(tableIn!, indices),
      gradFunc: (dy, saved) => {
        const [ids] = saved as [Tensor1D];
        const grad = scatterRows(dy as Tensor2D, ids, numRows);
        ids.dispose();
        return grad;
      },
    };
  });
  return op(table) as Tensor2D;
}
