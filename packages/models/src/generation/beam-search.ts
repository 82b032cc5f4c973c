/**
 * Beam bookkeeping with the semantics of Hugging Face's `BeamSearchScorer` / `BeamHypotheses`:
 * candidates are the 2·numBeams best (beam, token) pairs by summed log-probability; a finishing
 * candidate among the first numBeams becomes a hypothesis scored
 * `sum_logprobs / generated_len ** lengthPenalty`; a prompt is done per `earlyStopping`.
 */

/** A finished (or, at the end, still running) beam. */
export interface BeamHypothesis {
  /** New tokens, eos included when the beam ended with it. */
  tokens: number[];
  /** Length-penalised score. */
  score: number;
  endedWithEos: boolean;
}

/** The best `numBeams` hypotheses of one prompt. */
export class BeamHypotheses {
  readonly hypotheses: BeamHypothesis[] = [];
  private worstScore = 1e9;

  constructor(
    private readonly numBeams: number,
    private readonly lengthPenalty: number,
    private readonly earlyStopping: boolean | 'never',
    private readonly maxNewTokens: number,
  ) {}

  add(tokens: number[], sumLogprobs: number, endedWithEos: boolean): void {
    const score = sumLogprobs / tokens.length ** this.lengthPenalty;
    if (this.hypotheses.length < this.numBeams || score > this.worstScore) {
      this.hypotheses.push({ tokens, score, endedWithEos });
      if (this.hypotheses.length > this.numBeams) {
        const sorted = this.hypotheses
          .map((h, i) => [h.score, i] as const)
          .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        this.hypotheses.splice(sorted[0]![1], 1);
        this.worstScore = sorted[1]![0];
      } else {
        this.worstScore = Math.min(score, this.worstScore);
      }
    }
  }

  /** Whether no running beam can still improve on the kept hypotheses (`generatedLen` counts the candidate token). */
  isDone(bestSumLogprobs: number, generatedLen: number): boolean {
    if (this.hypotheses.length < this.numBeams) return false;
    if (this.earlyStopping === true) return true;
    const length =
      this.earlyStopping === 'never' && this.lengthPenalty > 0 ? this.maxNewTokens : generatedLen;
    return this.worstScore >= bestSumLogprobs / length ** this.lengthPenalty;
  }

  /** Best first; among equal scores the later-added first, as HF's stable sort and pop(). */
  best(count: number): BeamHypothesis[] {
    const order = this.hypotheses
      .map((h, i) => [h, i] as const)
      .sort((a, b) => b[0].score - a[0].score || b[1] - a[1]);
    return order.slice(0, count).map(([h]) => h);
  }
}

export interface BeamCandidate {
  /** Summed log-probability of the beam with this token. */
  score: number;
  /** Beam index within the prompt. */
  beam: number;
  token: number;
}

/**
 * The `count` best candidates over the `numBeams` rows of one prompt, best first, ties broken by
 * flat index (beam·vocab + token) as a sorted top-k does.
 */
export function topCandidates(rows: readonly Float32Array[], count: number): BeamCandidate[] {
  const best: BeamCandidate[] = [];
  rows.forEach((row, beam) => {
    for (let token = 0; token < row.length; token += 1) {
      const score = row[token]!;
      if (best.length === count && !(score > best[count - 1]!.score)) continue;
      let at = best.length;
      while (at > 0 && best[at - 1]!.score < score) at -= 1;
      best.splice(at, 0, { score, beam, token });
      if (best.length > count) best.pop();
    }
  });
  return best;
}
