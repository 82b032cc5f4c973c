/** The benchmark's flan-t5-small-shaped model with random weights, for the ad-hoc measurement scripts. */
import { FLAN_T5_SMALL, randomT5Tensors } from '../bench/model';
import type { T5Config } from '../src/t5/config';
import { T5Model } from '../src/t5/model';

export function randomModel(config: T5Config = FLAN_T5_SMALL, seed = 1): T5Model {
  return T5Model.fromTensors(config, new Map(randomT5Tensors(config, seed).map((t) => [t.name, t])));
}
