/**
 * Row lookups (token embeddings, relative-position bias) whose gradient scatters rows back into the
 * table. tfjs's own gather gradient uses `UnsortedSegmentSum`, which the WASM backend lacks;
 * `scatterND` sums duplicate indices, so it gives the same exact sum on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import { customOp } from './customOp';
import { GATHER_ROWS, SCATTER_ROWS } from './wasm/heap';
import { hasKernel } from './wasm/runtime';

/**
 * Sums the rows of `rows` `[n, d]` into a `[numRows, d]` table at `indices` (int32 `[n]`), duplicates
 * in row order. On wasm one pass over a zero table (`FlanScatterRows`); elsewhere `scatterND`.
 */
export function scatterRows(rows: Tensor2D, indices: Tensor1D, numRows: number): Tensor2D {
  if (hasKernel(SCATTER_ROWS)) {
    return tf.engine().runKernel(SCATTER_ROWS, { rows, indices }, { numRows }) as Tensor2D;
  }
  return tf.tidy(
    () => tf.scatterND(tf.reshape(indices, [-1, 1]), rows, [numRows, rows.shape[1]]) as Tensor2D,
  );
}

/**
 * `table[indices]` `[n, d]` for int32 `indices` `[n]`, differentiable with respect to `table`. With
 * `paddingIdx` (torch's `nn.Embedding(padding_idx)`), the lookups of that row send it no gradient.
 */
export function embeddingLookup(table: Tensor2D, indices: Tensor1D, paddingIdx?: number): Tensor2D {
  const numRows = table.shape[0];
  // The indices are saved (not closed over): the caller's copy may be disposed before the backward pass.
  const op = customOp(([tableIn], save) => {
    save([indices]);
    return {
      value: hasKernel(GATHER_ROWS)
        ? (tf.engine().runKernel(GATHER_ROWS, { table: tableIn!, indices }) as Tensor2D)
        : tf.gather(tableIn!, indices),
      gradFunc: (dy, saved) => {
        const [ids] = saved as [Tensor1D];
        const rows =
          paddingIdx === undefined
            ? (dy as Tensor2D)
            : tf.tidy(() => tf.mul(dy, tf.expandDims(tf.cast(tf.notEqual(ids, paddingIdx), 'float32'), 1)));
        const grad = scatterRows(rows as Tensor2D, ids, numRows);
        if (rows !== dy) rows.dispose();
        ids.dispose();
        return grad;
      },
    };
  });
  return op(table) as Tensor2D;
}

/**
 * Rows `start … start+count-1` of `x` `[n, d]`, differentiable (the gradient pads `dy` with zero rows).
 * Lets one lookup serve several id sets, so the table's gradient is a single scatter-add.
 */
export function sliceRows(x: Tensor2D, start: number, count: number): Tensor2D {
  const [n, d] = x.shape;
  const op = customOp(([xIn]) => ({
    value: tf.slice(xIn!, [start, 0], [count, d]),
    gradFunc: (dy) =>
      tf.pad(dy, [
        [start, n - start - count],
        [0, 0],
      ]),
  }));
  return op(x) as Tensor2D;
}
