/** Progress of an evaluation run, reported per benchmark × format × mode unit through a callback. */

export interface EvalProgress {
  /** Position of the unit in the run's plan. */
  unit: number;
  benchmark: string;
  format: string;
  mode: 'generate' | 'rank';
  /** Examples with a result so far (cached ones included). */
  done: number;
  total: number;
  /** Of `done`, the results found in the cache (not recomputed). */
  cached: number;
}

/** Called once per unit at the start (with the cached results) and after every batch. */
export type ProgressCallback = (progress: EvalProgress) => void;
