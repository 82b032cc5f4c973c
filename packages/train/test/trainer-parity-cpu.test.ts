/** The recorded flan-t5-tiny trajectories through `Trainer.step` on cpu (~45 s each on an idle 2-core machine). */
import { parityTests } from './trainer-parity';

parityTests('cpu', 300_000);
