/**
 * Keys and values of every decoder layer for incremental decoding: self-attention grows by the new
 * positions at each step; cross-attention is computed from the encoder output once and reused.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KeyValues } from '../kernels/attention';
import type { DecoderCache } from './interface';

/** One decoder layer's cached keys and values, each `[batch, len, heads·dKv]`. */
export interface LayerCache {
  self: KeyValues;
  cross: KeyValues;
}

const tensorsOf = (layer: LayerCache) => [layer.self.k, layer.self.v, layer.cross.k, layer.cross.v];

export class T5DecoderCache implements DecoderCache {
  constructor(
    readonly layers: readonly LayerCache[],
    readonly length: number,
  ) {}

  get batchSize(): number {
    return this.layers[0]?.self.k.shape[0] ?? 0;
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
      const pick = ({ k, v }: KeyValues): KeyValues => ({
        k: tf.gather(k, indices),
        v: tf.gather(v, indices),
      });
      const picked: LayerCache[] = this.layers.map((l) => ({ self: pick(l.self), cross: pick(l.cross) }));
      // KeyValues has no index signature, so tidy's TensorContainer type needs a cast; tidy keeps nested tensors.
      return picked as unknown as tf.TensorContainer;
    }) as unknown as LayerCache[];
    return new T5DecoderCache(layers, this.length);
  }

  dispose(): void {
    for (const layer of this.layers) tf.dispose(tensorsOf(layer));
  }
}
