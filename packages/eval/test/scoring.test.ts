/** Every record of `data/eval/scoring.jsonl` and `self_consistency.jsonl` scored again. */
import { readFileSync } from 'node:fs';
import { sharedFile } from '@flan-ts/test-support';
import { describe, expect, it } from 'vitest';
import {
  asciiDigits,
  canonicalNumber,
  lmEvalBbhCotRegex,
  normalizeSquad,
  pySplit,
  pyStrip,
  scoreOutput,
  selfConsistency,
  type ScoringInput,
} from '../src/index';
import { referenceRecords } from './fixtures';

const scoring = referenceRecords('scoring.jsonl');
const voting = referenceRecords('self_consistency.jsonl');
const votingPath = sharedFile('data/eval/self_consistency.jsonl');
const rawVotes = new Set(
  votingPath ? [...readFileSync(votingPath, 'utf8').matchAll(/"votes": (\{[^}]*\})/g)].map((m) => m[1]!) : [],
);
/** Votes as Python's json.dumps writes a dict: insertion order, ", " and ": " separators. */
const pythonVotes = (votes: Map<string, number>): string =>
  `{${[...votes].map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(', ')}}`;

describe.skipIf(!scoring)('scoring.jsonl', () => {
  it('extracted and correct of every record', () => {
    const wrong = scoring!.filter((ref) => {
      const got = scoreOutput(ref as unknown as ScoringInput);
      return (
        got.extracted !== ref.extracted ||
        got.correct !== ref.correct ||
        ('extracted_via' in ref && got.extracted_via !== ref.extracted_via)
      );
    });
    expect(wrong).toEqual([]);
    expect(scoring!.length).toBe(506);
  });

  it("lm-evaluation-harness's BBH CoT regex, for comparison", () => {
    const withRegex = scoring!.filter((r) => 'lm_eval_regex_extracted' in r);
    expect(withRegex.length).toBeGreaterThan(100);
    expect(
      withRegex.filter((r) => lmEvalBbhCotRegex(r.model_output as string) !== r.lm_eval_regex_extracted),
    ).toEqual([]);
  });
});

describe.skipIf(!voting)('self_consistency.jsonl', () => {
  it('extracted, votes (in first-seen order), majority and correct of every record', () => {
    const wrong = voting!.filter((ref) => {
      const got = selfConsistency(ref as never);
      return (
        JSON.stringify(got.extracted) !== JSON.stringify(ref.extracted) ||
        // Parsed JSON reorders integer-like keys, so the order is checked on the reference's own text.
        !rawVotes.has(pythonVotes(got.votes)) ||
        got.majority !== ref.majority ||
        got.correct !== ref.correct
      );
    });
    expect(wrong).toEqual([]);
    expect(voting!.length).toBe(48);
  });
});

describe('Python string semantics', () => {
  it('strip and split use str.isspace (NBSP, U+3000, U+0085, U+001C; not U+FEFF or U+200B)', () => {
    expect(pyStrip('\u0085 a \u3000')).toBe('a');
    expect(pyStrip('\ufeffa')).toBe('\ufeffa');
    expect(pySplit('a\u00a0b\u001cc\u200bd')).toEqual(['a', 'b', 'c\u200bd']);
    expect(pySplit('  ')).toEqual([]);
  });

  it('Unicode decimal digits map to ASCII', () => {
    expect(asciiDigits('১৭৫ ๔๘ ౧౨౨ ３６６ 𝟗')).toBe('175 48 122 366 9');
  });

  it('numbers canonicalise as the rules say', () => {
    expect(['2,125', '44.00', '007', '1.200', '0.50', '-0', '10'].map(canonicalNumber)).toEqual([
      '2125',
      '44',
      '7',
      '1.2',
      '0.5',
      '-0',
      '10',
    ]);
  });

  it('normalize_squad: Unicode \\b, ASCII punctuation only', () => {
    expect(normalizeSquad('éthe bridge')).toBe('éthe bridge');
    expect(normalizeSquad('The «Eiffel» tower, an icon')).toBe('«eiffel» tower icon');
    expect(normalizeSquad('a_the b')).toBe('athe b');
  });
});
