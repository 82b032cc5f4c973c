/** Raised when a training step cannot be applied; the weights and optimizer state are left as they were. */
export class TrainingError extends Error {
  constructor(
    message: string,
    /** The 1-based number of the step that failed. */
    readonly step: number,
    /** What went wrong. */
    readonly reason: 'non-finite-loss' | 'non-finite-gradient' | 'no-target-tokens',
    /** The offending value, when there is one (NaN, ±Infinity). */
    readonly value?: number,
  ) {
    super(`step ${step}: ${message}`);
    this.name = 'TrainingError';
  }
}
