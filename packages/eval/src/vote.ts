/**
 * Self-consistency (Wang et al. 2022, as the paper's CoT + SC rows): k sampled outputs per example,
 * each extracted with the rules of its benchmark, invalid (empty) answers discarded, and a majority
 * vote over canonical answers in which a tie goes to the answer seen first (`Counter.most_common`).
 */
import { answerCorrect, scoreOutput, type ScoringInput } from './extract/index';

export interface VoteInput extends Omit<ScoringInput, 'model_output'> {
  samples: readonly string[];
}

export interface VoteResult {
  /** The canonical answer of each sample (`""` when invalid). */
  extracted: string[];
  /** Vote counts in first-appearance order. */
  votes: Map<string, number>;
  /** The winning answer, `""` when every sample was invalid. */
  majority: string;
  correct: boolean;
}

/** Majority over answers, ignoring `""`; ties go to the first seen. */
export function majorityVote(answers: readonly string[]): { votes: Map<string, number>; majority: string } {
  const votes = new Map<string, number>();
  for (const a of answers) if (a !== '') votes.set(a, (votes.get(a) ?? 0) + 1);
  let majority = '';
  let best = 0;
  // Map iteration is insertion order and only a strictly larger count replaces the leader.
  for (const [answer, count] of votes)
    if (count > best) {
      majority = answer;
      best = count;
    }
  return { votes, majority };
}

/** Extracts every sample and votes (the fields of `self_consistency.jsonl`). */
export function selfConsistency(input: VoteInput): VoteResult {
  const extracted = input.samples.map((s) => scoreOutput({ ...input, model_output: s }).extracted);
  const { votes, majority } = majorityVote(extracted);
  return { extracted, votes, majority, correct: majority !== '' && answerCorrect(input, majority) };
}
