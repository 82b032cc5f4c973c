/** A scoring request that cannot be honoured (empty or out-of-vocabulary ids, bad options). */
export class ScoringError extends Error {
  override name = 'ScoringError';
}
