// Row scatter-add for the gradient of a row lookup (see src/kernels/wasm/heap.ts).

/**
 * Zeroes the `[numRows, d]` float32 table at `dst`, then adds row `i` of `src` `[n, d]` into row
 * `ids[i]` for i = 0 … n-1 in order (duplicates summed in that order). The caller checks the ids.
 */
export function scatterAddRows(dst: usize, src: usize, ids: usize, n: i32, d: i32, numRows: i32): void {
  memory.fill(dst, 0, (<usize>numRows * <usize>d) << 2);
  const rowBytes = (<usize>d) << 2;
  const vecBytes = (<usize>(d & ~3)) << 2;
  for (let i = 0; i < n; i++) {
    const o = dst + <usize>load<i32>(ids + ((<usize>i) << 2)) * rowBytes;
    const s = src + <usize>i * rowBytes;
    let off: usize = 0;
    for (; off < vecBytes; off += 16) {
      v128.store(o + off, f32x4.add(v128.load(o + off), v128.load(s + off)));
    }
    for (; off < rowBytes; off += 4) {
      store<f32>(o + off, load<f32>(o + off) + load<f32>(s + off));
    }
  }
}
