/** The recorded flan-t5-tiny trajectories through `Trainer.step` on wasm (see trainer-parity.ts). */
import { parityTests } from './trainer-parity';

parityTests('wasm', 60_000);
