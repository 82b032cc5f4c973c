/**
 * The relative-position bias of a stack: `table[bucket(key − query), head]` laid out as the
 * `[1, heads, queryLen, keyLen]` term added to every layer's attention scores.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor1D, Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';
import { customOp } from './customOp';
import { scatterRows } from './embedding';
import { POSITION_BIAS } from './wasm/position';
import { hasKernel } from './wasm/runtime';

/** `buckets` is int32 `[queryLen · keyLen]` (row-major over query, key); `table` is `[numBuckets, heads]`. */
export function positionBias(table: Tensor2D, buckets: Tensor1D, queryLen: number, keyLen: number): Tensor4D {
  const [numBuckets, heads] = table.shape;
  const op = customOp(([tableIn], save) => {
    save([buckets]);
    return {
      value: hasKernel(POSITION_BIAS)
        ? (tf
            .engine()
            .runKernel(POSITION_BIAS, { table: tableIn!, buckets }, { queryLen, keyLen }) as Tensor4D)
        : tf.tidy(() => tf.reshape(tf.transpose(tf.gather(tableIn!, buckets)), [1, heads, queryLen, keyLen])),
      gradFunc: (dy, saved) => {
        const [b] = saved as [Tensor1D];
        const grad = tf.tidy(() =>
          scatterRows(tf.transpose(tf.reshape(dy, [heads, queryLen * keyLen])) as Tensor2D, b, numBuckets),
        );
        b.dispose();
        return grad;
      },
    };
  });
  return op(table) as Tensor4D;
}
