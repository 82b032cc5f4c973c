import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index';
import { gemmUsesFusedMultiplyAdd, relaxedSimdSupported } from '../src/kernels/wasm/gemm';
import { threadStatus } from '../src/threads/index';

/**
 * Which GEMM variant runs. In the default run (Node 20 without flags) it is mul + add;
 * wasm-threads-parity.test.ts reruns the parity tests with `--experimental-wasm-relaxed-simd` and
 * `FLAN_EXPECT_FMA=1`, where this file checks that the fused variant is the one under test.
 */
describe('GEMM variant', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('uses fused multiply-add exactly when the engine validates relaxed SIMD', () => {
    expect(gemmUsesFusedMultiplyAdd()).toBe(relaxedSimdSupported());
    if (process.env.FLAN_EXPECT_FMA === '1') expect(gemmUsesFusedMultiplyAdd()).toBe(true);
    if (process.env.FLAN_EXPECT_FMA === '0') expect(gemmUsesFusedMultiplyAdd()).toBe(false);
  });

  it('runs on the thread count FLAN_THREADS asks for', () => {
    const want = Number(process.env.FLAN_THREADS ?? threadStatus().requested);
    expect(threadStatus()).toEqual({ requested: want, inUse: want });
  });

  it('rounds the way its variant says: one rounding per multiply-add when fused, two otherwise', () => {
    // c = (-1)(1 + 2^-11) + x·x with x = 1 + 2^-12: x² = 1 + 2^-11 + 2^-24 needs 25 bits. Mul + add rounds
    // x² to 1 + 2^-11 (a tie, to even) and cancels to 0; a fused multiply-add keeps 2^-24.
    const x = 1 + 2 ** -12;
    const a = tf.tensor2d([-1, x], [2, 1]);
    const b = tf.tensor2d([1 + 2 ** -11, x], [2, 1]);
    const c = tf.matMul(a, b, true, false);
    expect(c.dataSync()[0]).toBe(gemmUsesFusedMultiplyAdd() ? 2 ** -24 : 0);
    tf.dispose([a, b, c]);
  });
});
