// The browser bundle of the OPFS store test: the store alone, on the page's global.
import { OpfsCheckpointStore } from '../../../../packages/train/src/checkpoint/opfs-store';

(globalThis as unknown as { OpfsCheckpointStore: typeof OpfsCheckpointStore }).OpfsCheckpointStore =
  OpfsCheckpointStore;
