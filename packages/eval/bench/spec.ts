/** What bench/run.ts hands each engine (one JSON file) and what an engine prints back (one JSON line). */

/** One measured case: batches of encoder ids (planned once, so both engines run the same batches). */
export interface BenchCase {
  name: string;
  kind: 'generate' | 'rank';
  /** Greedy decoding stops at eos or here. */
  max_new_tokens: number;
  batches: number[][][];
  /** Ours: the prompt records of each batch's rows, run through the eval runner. */
  records: unknown[][];
}

export interface BenchSpec {
  config: string;
  weights: string;
  modelDir: string;
  /** Rank mode: the option ids every row scores ("(A)" … "(D)" with eos). */
  options: number[][];
  batch_size: number;
  cases: BenchCase[];
}

export interface CaseTiming {
  wall_s: number;
  cpu_s: number;
  examples: number;
  /** Decoder positions computed (rows × steps), so equal work can be checked. */
  new_tokens: number;
}

export interface EngineResult {
  engine: string;
  cases: Record<string, CaseTiming>;
}
