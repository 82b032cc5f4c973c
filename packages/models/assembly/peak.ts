// The arithmetic ceiling of 128-bit WebAssembly SIMD on the running machine, for the benchmark:
// f32x4 multiply-adds on 12 independent register accumulators (no memory traffic at all). Built twice:
// `peak` with mul + add (what Node 20 runs without `--experimental-wasm-relaxed-simd`), `peak-relaxed`
// with relaxed SIMD's fused multiply-add. Returns a lane so the work is not elided.
/** `a·b + c`: fused (one rounding) when built with relaxed SIMD (`peak-relaxed`), else mul + add. */
// @ts-ignore: decorator
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

export function mulAddLoop(iterations: i32, scale: f32): f32 {
  const m = f32x4.splat(scale);
  const b = f32x4.splat(0.5);
  let a0 = f32x4.splat(1);
  let a1 = f32x4.splat(2);
  let a2 = f32x4.splat(3);
  let a3 = f32x4.splat(4);
  let a4 = f32x4.splat(5);
  let a5 = f32x4.splat(6);
  let a6 = f32x4.splat(7);
  let a7 = f32x4.splat(8);
  let a8 = f32x4.splat(9);
  let a9 = f32x4.splat(10);
  let a10 = f32x4.splat(11);
  let a11 = f32x4.splat(12);
  for (let i = 0; i < iterations; i++) {
    a0 = madd(a0, m, b);
    a1 = madd(a1, m, b);
    a2 = madd(a2, m, b);
    a3 = madd(a3, m, b);
    a4 = madd(a4, m, b);
    a5 = madd(a5, m, b);
    a6 = madd(a6, m, b);
    a7 = madd(a7, m, b);
    a8 = madd(a8, m, b);
    a9 = madd(a9, m, b);
    a10 = madd(a10, m, b);
    a11 = madd(a11, m, b);
  }
  const s0 = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
  const s1 = f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7));
  const s2 = f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11));
  return f32x4.extract_lane(f32x4.add(f32x4.add(s0, s1), s2), 0);
}

/** Floating-point operations per iteration of `mulAddLoop`: 12 accumulators × 4 lanes × (mul + add). */
export const FLOPS_PER_ITERATION: i32 = 96;
