/** Keys (rotated) and values of every layer for the positions decoded so far. */
import * as tf from '@tensorflow/tfjs-core';
import type { KeyValues } from '../kernels/causalAttention';
import type { DecoderCache } from '../t5/interface';

export class CausalKVCache implements DecoderCache {
  /** `layers[i]` holds `[batch, kvHeads, length, headDim]` keys and values of layer i. */
  constructor(
    readonly layers: readonly KeyValues[],
    readonly length: number,
  ) {}

  get batchSize(): number {
    return this.layers[0]?.key.shape[0] ?? 0;
  }

  select(batchIndices: readonly number[]): CausalKVCache {
    const batch = this.batchSize;
    for (const i of batchIndices) {
      if (!Number.isInteger(i) || i < 0 || i >= batch) {
        throw new RangeError(`DecoderCache.select: batch index ${i} is outside 0..${batch - 1}`);
      }
    }
    const layers = tf.tidy(() => {
      const indices = tf.tensor1d(Array.from(batchIndices), 'int32');
      return this.layers.map((l) => ({ key: tf.gather(l.key, indices), value: tf.gather(l.value, indices) }));
    }) as unknown as KeyValues[];
    return new CausalKVCache(layers, this.length);
  }

  dispose(): void {
    for (const l of this.layers) tf.dispose([l.key, l.value]);
  }
}
