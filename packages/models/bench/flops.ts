/**
 * Model FLOPs (multiply and add counted separately) of the benchmark's measurements, from the config:
 * the matmuls of the network as written, not what an engine adds (recomputation, layout copies).
 * Elementwise work (norms, activations, softmax) is left out; it is under 2% here.
 */
import type { T5Config } from '../src/t5/config';

/** `2·m·k·n` for an `[m, k] · [k, n]` product. */
const matmul = (m: number, k: number, n: number) => 2 * m * k * n;

function feedForward(c: T5Config, tokens: number): number {
  return matmul(tokens, c.dModel, c.dFf) * (c.isGatedAct ? 2 : 1) + matmul(tokens, c.dFf, c.dModel);
}

/** Forward FLOPs of the encoder over `batch` sequences of `len` tokens. */
export function encoderFlops(c: T5Config, batch: number, len: number): number {
  const inner = c.numHeads * c.dKv;
  const tokens = batch * len;
  const perLayer =
    4 * matmul(tokens, c.dModel, inner) + // q, k, v, o
    2 * batch * c.numHeads * matmul(len, c.dKv, len) + // q·kᵀ and probs·v
    feedForward(c, tokens);
  return c.numLayers * perLayer;
}

/** Forward FLOPs of the decoder (teacher-forced, `tgtLen` positions) and the LM head. */
export function decoderFlops(c: T5Config, batch: number, srcLen: number, tgtLen: number): number {
  const inner = c.numHeads * c.dKv;
  const tokens = batch * tgtLen;
  const perLayer =
    4 * matmul(tokens, c.dModel, inner) + // self-attention q, k, v, o
    2 * batch * c.numHeads * matmul(tgtLen, c.dKv, tgtLen) +
    2 * matmul(tokens, c.dModel, inner) + // cross-attention q, o
    2 * matmul(batch * srcLen, c.dModel, inner) + // cross-attention k, v over the encoder output
    2 * batch * c.numHeads * matmul(tgtLen, c.dKv, srcLen) +
    feedForward(c, tokens);
  return c.numDecoderLayers * perLayer + matmul(tokens, c.dModel, c.vocabSize);
}

/** A training step: forward, then backward at twice the forward's FLOPs (input and weight gradients). */
export function trainStepFlops(c: T5Config, batch: number, srcLen: number, tgtLen: number): number {
  return 3 * (encoderFlops(c, batch, srcLen) + decoderFlops(c, batch, srcLen, tgtLen));
}
