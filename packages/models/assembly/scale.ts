// Placeholder kernel proving the toolchain; replaced by real kernels.
export function scaleInPlace(ptr: usize, n: i32, s: f32): void {
  const vs = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const p = ptr + ((<usize>i) << 2);
    v128.store(p, f32x4.mul(v128.load(p), vs));
  }
  for (; i < n; i++) {
    const p = ptr + ((<usize>i) << 2);
    store<f32>(p, load<f32>(p) * s);
  }
}
