/**
 * Best segmentation of normalized text under a unigram language model (the Viterbi search of
 * SentencePiece's `unigram::Model::Encode`, its optimized form). Scores are float32 and accumulate
 * with the C++'s mix of float and double, so ties and near-ties resolve the same way.
 */
import { PieceType } from './model-proto';
import type { PieceTrie } from './piece-trie';
import { oneCharLen } from './utf8';

/** kUnkPenalty in the C++: an unknown character scores 10 below the worst piece. */
const UNK_PENALTY = 10;

export interface ViterbiPath {
  /** Number of pieces on the path. */
  count: number;
  /** Byte offset where piece k starts; `starts[count]` is the text length. */
  starts: Int32Array;
  ids: Int32Array;
}

// Scratch buffers reused across calls: encoding allocates nothing per character.
let bestScore = new Float32Array(1024);
let startsAt = new Int32Array(1024);
let bestId = new Int32Array(1024);
let pathStarts = new Int32Array(1024);
let pathIds = new Int32Array(1024);

export function unigramViterbi(
  text: Uint8Array,
  trie: PieceTrie,
  scores: Float32Array,
  types: Uint8Array,
  unkId: number,
  minScore: number,
  maxScore: number,
): ViterbiPath {
  const size = text.length;
  if (bestScore.length < size + 1) {
    const cap = (size + 1) * 2;
    bestScore = new Float32Array(cap);
    startsAt = new Int32Array(cap);
    bestId = new Int32Array(cap);
    pathStarts = new Int32Array(cap);
    pathIds = new Int32Array(cap);
  }
  bestScore.fill(0, 0, size + 1);
  startsAt.fill(-1, 0, size + 1);
  const unkScore = Math.fround(minScore - UNK_PENALTY);
  const userDefinedMax = Math.fround(maxScore);

  let start = 0;
  while (start < size) {
    const tillHere = bestScore[start]!;
    const mblen = Math.min(oneCharLen(text[start]!), size - start);
    let hasSingleNode = false;
    let node = 0;
    for (let keyPos = start; keyPos < size;) {
      node = trie.child(node, text[keyPos]!);
      if (node < 0) break;
      keyPos++;
      const id = trie.value(node);
      if (id < 0) continue;
      const type = types[id]!;
      if (type === PieceType.UNUSED) continue;
      const length = keyPos - start;
      // In the C++ the piece score is the double `cond ? length * max_score_ - 0.1 : score`, so the
      // candidate is a double compared against the stored float: keep it unrounded here as well.
      const candidate =
        (type === PieceType.USER_DEFINED ? Math.fround(length * userDefinedMax) - 0.1 : scores[id]!) +
        tillHere;
      if (startsAt[keyPos] === -1 || candidate > bestScore[keyPos]!) {
        bestScore[keyPos] = candidate;
        startsAt[keyPos] = start;
        bestId[keyPos] = id;
      }
      if (!hasSingleNode && length === mblen) hasSingleNode = true;
    }
    if (!hasSingleNode) {
      const target = start + mblen;
      const candidate = Math.fround(unkScore + tillHere);
      if (startsAt[target] === -1 || candidate > bestScore[target]!) {
        bestScore[target] = candidate;
        startsAt[target] = start;
        bestId[target] = unkId;
      }
    }
    start += mblen;
  }

  // Backtrack from the end, then reverse into path order.
  let count = 0;
  for (let end = size; end > 0; end = startsAt[end]!) count++;
  let k = count;
  pathStarts[count] = size;
  for (let end = size; end > 0; end = startsAt[end]!) {
    k--;
    pathStarts[k] = startsAt[end]!;
    pathIds[k] = bestId[end]!;
  }
  return { count, starts: pathStarts, ids: pathIds };
}
