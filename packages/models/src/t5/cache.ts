/**
 * Keys and values of every decoder layer for incremental decoding: self-attention grows by the new
 * positions at each step; cross-attention is computed from the encoder output once and reused.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import type { DecoderCache } from './interface';

/** One decoder layer's cached tensors, each `[batch, heads, len, dKv]`. */
export interface LayerCache {
  selfKey: Tensor4D;
  selfValue: Tensor4D;
  crossKey: Tensor4D;
  crossValue: Tensor4D;
}

export class T5DecoderCache implements DecoderCache {
  constructor(
    readonly layers: readonly LayerCache[],
    readonly length: number,
  ) {}

  get batchSize(): number {
    return this.layers[0]?.selfKey.shape[0] ?? 0;
  }

  select(batchIndices: readonly number[]): T5DecoderCache {
    const batch = this.batchSize;
    for (const i of batchIndices) {
      if (!Number.isInteger(i) || i < 0 || i >= batch) {
        throw new RangeError(`DecoderCache.select: batch index ${i} is outside 0..${batch - 1}`);
      }
    }
    const layers = tf.tidy(() => {
      const indices = tf.tensor1d(Array.from(batchIndices), 'int32');
      return this.layers.map((layer) => ({
        selfKey: tf.gather(layer.selfKey, indices),
        selfValue: tf.gather(layer.selfValue, indices),
        crossKey: tf.gather(layer.crossKey, indices),
        crossValue: tf.gather(layer.crossValue, indices),
      }));
    });
    return new T5DecoderCache(layers, this.length);
  }

  dispose(): void {
    for (const layer of this.layers) {
      layer.selfKey.dispose();
      layer.selfValue.dispose();
      layer.crossKey.dispose();
      layer.crossValue.dispose();
    }
  }
}
