// Fused elementwise kernels of the T5 layers, one pass (or one row-resident pass per row) over memory
// each, where tfjs runs 4-10 separate kernels: RMSNorm and its gradient, the gated gelu_new / relu
// activation and its gradient, the masked softmax of attention and its gradient, and the token
// cross-entropy over the vocabulary and its gradient. Pointers are byte offsets into tfjs-backend-wasm's
// heap; a pointer of 0 means "absent" (tfjs's allocator never returns 0).

// ---------------------------------------------------------------------------------------------------
// exp: Cephes-style range reduction x = n·ln2 + r (ln2 split in two so n·C1 is exact), a degree-7
// polynomial on |r| ≤ ln2/2, and 2^n applied as two factors so that n ∈ [-150, 128] (gradual underflow,
// overflow to +inf) needs no special cases. NaN propagates through min/max and the polynomial.

const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;

// Rounding to an integer by adding 1.5·2^23 (round-to-nearest-even, as f32x4.nearest) leaves n in the
// low mantissa bits, so n comes out with one integer subtract instead of a (slow on x64) trunc_sat.
const ROUND_MAGIC: f32 = 12582912.0;

/**
 * e^r for the remainder r = x − fn·ln2 (fn = round(x·log2 e), Cody-Waite split of ln2): Cephes' degree-7
 * polynomial. The callers scale it by 2^fn.
 */
@inline
function expOfRemainder(x: v128, fn: v128): v128 {
  let r = f32x4.sub(x, f32x4.mul(fn, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(fn, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  return f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1.0));
}

@inline
function exp4(x0: v128): v128 {
  // pmin/pmax are single instructions (min/max are NaN-and-zero-exact sequences); x0 NaN stays NaN.
  const x = f32x4.pmax(f32x4.pmin(x0, f32x4.splat(88.8)), f32x4.splat(-104.0));
  const magic = f32x4.splat(ROUND_MAGIC);
  const shifted = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), magic);
  const p = expOfRemainder(x, f32x4.sub(shifted, magic));
  const n = i32x4.sub(shifted, magic);
  const n1 = i32x4.shr_s(n, 1);
  const n2 = i32x4.sub(n, n1);
  const bias = i32x4.splat(127);
  const s1 = i32x4.shl(i32x4.add(n1, bias), 23);
  const s2 = i32x4.shl(i32x4.add(n2, bias), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

/**
 * exp for x ≤ 0 (softmax and cross-entropy, after subtracting the row maximum or the log-partition):
 * no overflow to handle, so 2^n is one factor; results below float32's smallest normal (x < −87.34)
 * are flushed to 0, as tfjs-wasm's (XNNPACK) softmax does.
 */
@inline
function expNonPositive4(x0: v128): v128 {
  const cutoff = f32x4.splat(-87.33654);
  const x = f32x4.pmax(x0, cutoff);
  const magic = f32x4.splat(ROUND_MAGIC);
  const shifted = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), magic);
  const p = expOfRemainder(x, f32x4.sub(shifted, magic));
  // (n + 127) << 23 straight from the rounded bits: bits(shifted) − bits(magic) = n.
  const scale = i32x4.shl(i32x4.sub(shifted, i32x4.sub(magic, i32x4.splat(127))), 23);
  return v128.andnot(f32x4.mul(p, scale), f32x4.lt(x0, cutoff));
}

@inline
function expNonPositive1(x: f32): f32 {
  return f32x4.extract_lane(expNonPositive4(f32x4.splat(x)), 0);
}

@inline
function exp1(x: f32): f32 {
  return f32x4.extract_lane(exp4(f32x4.splat(x)), 0);
}

/**
 * exp4, or with `nonPositive` expNonPositive4, of `n` floats: for the accuracy tests of both against
 * Math.exp.
 */
export function expArray(src: usize, dst: usize, n: i32, nonPositive: bool): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = (<usize>i) << 2;
    const x = v128.load(src + o);
    v128.store(dst + o, nonPositive ? expNonPositive4(x) : exp4(x));
  }
  for (; i < n; i++) {
    const o = (<usize>i) << 2;
    const x = load<f32>(src + o);
    store<f32>(dst + o, nonPositive ? expNonPositive1(x) : exp1(x));
  }
}

/** Natural log in float64 (x > 0, finite): x = m·2^e with m ∈ [√½, √2), log m = 2·atanh((m−1)/(m+1)). */
function log64(x: f64): f64 {
  const bits = reinterpret<u64>(x);
  let e = <i32>((bits >> 52) & 0x7ff) - 1023;
  let m = reinterpret<f64>((bits & 0x000fffffffffffff) | 0x3ff0000000000000);
  if (m > 1.4142135623730951) {
    m *= 0.5;
    e += 1;
  }
  const s = (m - 1.0) / (m + 1.0);
  const s2 = s * s;
  // |s| ≤ 0.1716, s² ≤ 0.0295: terms up to s^23 leave < 1e-17.
  let t: f64 = 1.0 / 23.0;
  t = t * s2 + 1.0 / 21.0;
  t = t * s2 + 1.0 / 19.0;
  t = t * s2 + 1.0 / 17.0;
  t = t * s2 + 1.0 / 15.0;
  t = t * s2 + 1.0 / 13.0;
  t = t * s2 + 1.0 / 11.0;
  t = t * s2 + 1.0 / 9.0;
  t = t * s2 + 1.0 / 7.0;
  t = t * s2 + 1.0 / 5.0;
  t = t * s2 + 1.0 / 3.0;
  t = t * s2 + 1.0;
  return <f64>e * 0.6931471805599453 + 2.0 * s * t;
}

@inline
function hsum(v: v128): f32 {
  return (
    f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3))
  );
}

@inline
function hmax(v: v128): f32 {
  return Mathf.max(
    Mathf.max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)),
    Mathf.max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)),
  );
}

// ---------------------------------------------------------------------------------------------------
// RMSNorm over rows of width d: r = 1/sqrt(mean(x²) + eps), y = (x·r)·w.

export function rmsNormForward(x: usize, w: usize, y: usize, r: usize, rows: i32, d: i32, eps: f32): void {
  const rowBytes = (<usize>d) << 2;
  for (let row = 0; row < rows; row++) {
    const xr = x + <usize>row * rowBytes;
    const yr = y + <usize>row * rowBytes;
    let acc = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= d; j += 4) {
      const v = v128.load(xr + ((<usize>j) << 2));
      acc = f32x4.add(acc, f32x4.mul(v, v));
    }
    let ss = hsum(acc);
    for (; j < d; j++) {
      const v = load<f32>(xr + ((<usize>j) << 2));
      ss += v * v;
    }
    const rr: f32 = 1.0 / Mathf.sqrt(ss / <f32>d + eps);
    store<f32>(r + ((<usize>row) << 2), rr);
    const vr = f32x4.splat(rr);
    j = 0;
    for (; j + 4 <= d; j += 4) {
      const o = (<usize>j) << 2;
      v128.store(yr + o, f32x4.mul(f32x4.mul(v128.load(xr + o), vr), v128.load(w + o)));
    }
    for (; j < d; j++) {
      const o = (<usize>j) << 2;
      store<f32>(yr + o, load<f32>(xr + o) * rr * load<f32>(w + o));
    }
  }
}

/** dx = (g − x·r·mean(g·x·r))·r with g = dy·w; dw = Σ_rows dy·x·r (dw is overwritten). */
export function rmsNormBackward(
  dy: usize,
  x: usize,
  w: usize,
  r: usize,
  dx: usize,
  dw: usize,
  rows: i32,
  d: i32,
): void {
  const rowBytes = (<usize>d) << 2;
  memory.fill(dw, 0, rowBytes);
  const invD: f32 = 1.0 / <f32>d;
  for (let row = 0; row < rows; row++) {
    const xr = x + <usize>row * rowBytes;
    const dyr = dy + <usize>row * rowBytes;
    const dxr = dx + <usize>row * rowBytes;
    const rr = load<f32>(r + ((<usize>row) << 2));
    const vr = f32x4.splat(rr);
    let acc = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= d; j += 4) {
      const o = (<usize>j) << 2;
      const xn = f32x4.mul(v128.load(xr + o), vr);
      const vdy = v128.load(dyr + o);
      acc = f32x4.add(acc, f32x4.mul(f32x4.mul(vdy, v128.load(w + o)), xn));
      v128.store(dw + o, f32x4.add(v128.load(dw + o), f32x4.mul(vdy, xn)));
    }
    let proj = hsum(acc);
    for (; j < d; j++) {
      const o = (<usize>j) << 2;
      const xn = load<f32>(xr + o) * rr;
      const vdy = load<f32>(dyr + o);
      proj += vdy * load<f32>(w + o) * xn;
      store<f32>(dw + o, load<f32>(dw + o) + vdy * xn);
    }
    proj *= invD;
    const vp = f32x4.splat(proj);
    j = 0;
    for (; j + 4 <= d; j += 4) {
      const o = (<usize>j) << 2;
      const xn = f32x4.mul(v128.load(xr + o), vr);
      const g = f32x4.mul(v128.load(dyr + o), v128.load(w + o));
      v128.store(dxr + o, f32x4.mul(f32x4.sub(g, f32x4.mul(xn, vp)), vr));
    }
    for (; j < d; j++) {
      const o = (<usize>j) << 2;
      const xn = load<f32>(xr + o) * rr;
      const g = load<f32>(dyr + o) * load<f32>(w + o);
      store<f32>(dxr + o, (g - xn * proj) * rr);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Feed-forward activations, optionally gated: m = act(h0)·h1. mode 0 = relu, 1 = gelu_new, written as
// x·σ(2u) with 2u = 2√(2/π)·x·(1 + 0.044715·x²) (the same function as 0.5·x·(1 + tanh u)).

const TWO_SQRT_2_OVER_PI: f32 = 1.5957691216057308;
const GELU_CUBIC: f32 = 0.044715;

/** exp(−2u). */
@inline
function geluNewParts(x: v128): v128 {
  const x2 = f32x4.mul(x, x);
  const z = f32x4.mul(
    f32x4.mul(x, f32x4.add(f32x4.mul(x2, f32x4.splat(GELU_CUBIC)), f32x4.splat(1.0))),
    f32x4.splat(TWO_SQRT_2_OVER_PI),
  );
  return exp4(f32x4.neg(z));
}

/** σ(2u) = 1/(1 + exp(−2u)): 0 where exp overflows, so that x·σ is 0 there as in the composite. */
@inline
function geluNewSigma(x: v128): v128 {
  return f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), geluNewParts(x)));
}

@inline
function actForward(x: v128, mode: i32): v128 {
  if (mode == 0) return f32x4.max(x, f32x4.splat(0));
  return f32x4.mul(x, geluNewSigma(x));
}

/** Elementwise `m = act(h0)` or `act(h0)·h1` (h1 = 0 when ungated) over n floats. */
export function activationForward(h0: usize, h1: usize, m: usize, n: i32, mode: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = (<usize>i) << 2;
    let a = actForward(v128.load(h0 + o), mode);
    if (h1 != 0) a = f32x4.mul(a, v128.load(h1 + o));
    v128.store(m + o, a);
  }
  for (; i < n; i++) {
    const o = (<usize>i) << 2;
    let a = f32x4.extract_lane(actForward(f32x4.splat(load<f32>(h0 + o)), mode), 0);
    if (h1 != 0) a *= load<f32>(h1 + o);
    store<f32>(m + o, a);
  }
}

/** gelu_new'(x) from σ = σ(2u): σ + x·σ·(1 − σ)·d(2u)/dx, d(2u)/dx = 2√(2/π)·(1 + 3·0.044715·x²). */
@inline
function geluNewDerivative(x: v128, s: v128): v128 {
  const dInner = f32x4.add(
    f32x4.mul(f32x4.mul(x, x), f32x4.splat(3.0 * GELU_CUBIC * TWO_SQRT_2_OVER_PI)),
    f32x4.splat(TWO_SQRT_2_OVER_PI),
  );
  return f32x4.add(s, f32x4.mul(f32x4.mul(f32x4.mul(x, s), f32x4.sub(f32x4.splat(1.0), s)), dInner));
}

/**
 * Both gradients of one vector of elements: dh0 = (g·h1)·act'(x) and dh1 = g·act(x) (gated, `gated`
 * true), or dh0 = g·act'(x). σ (one exp) serves both act and act'. Writes all four lanes.
 */
@inline
function activationBackward4(x: v128, g: v128, hv: v128, gated: bool, mode: i32, dh0: usize, dh1: usize): void {
  let act: v128;
  let deriv: v128;
  if (mode == 0) {
    act = f32x4.max(x, f32x4.splat(0));
    deriv = v128.and(f32x4.splat(1.0), f32x4.gt(x, f32x4.splat(0)));
  } else {
    const s = geluNewSigma(x);
    act = f32x4.mul(x, s);
    deriv = geluNewDerivative(x, s);
  }
  if (gated) {
    v128.store(dh0, f32x4.mul(f32x4.mul(g, hv), deriv));
    v128.store(dh1, f32x4.mul(g, act));
  } else {
    v128.store(dh0, f32x4.mul(g, deriv));
  }
}

/** dh0 = dm·h1·act'(h0) and dh1 = dm·act(h0) (gated), or dh0 = dm·act'(h0). */
export function activationBackward(
  h0: usize,
  h1: usize,
  dm: usize,
  dh0: usize,
  dh1: usize,
  n: i32,
  mode: i32,
): void {
  const gated = h1 != 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = (<usize>i) << 2;
    const hv = gated ? v128.load(h1 + o) : f32x4.splat(0);
    activationBackward4(v128.load(h0 + o), v128.load(dm + o), hv, gated, mode, dh0 + o, dh1 + o);
  }
  // The last n mod 4 elements: computed on splats, lane 0 stored (a vector store would overrun).
  for (; i < n; i++) {
    const o = (<usize>i) << 2;
    const x = f32x4.splat(load<f32>(h0 + o));
    const g = f32x4.splat(load<f32>(dm + o));
    const hv = f32x4.splat(gated ? load<f32>(h1 + o) : 0);
    let act: v128;
    let deriv: v128;
    if (mode == 0) {
      act = f32x4.max(x, f32x4.splat(0));
      deriv = v128.and(f32x4.splat(1.0), f32x4.gt(x, f32x4.splat(0)));
    } else {
      const s = geluNewSigma(x);
      act = f32x4.mul(x, s);
      deriv = geluNewDerivative(x, s);
    }
    if (gated) {
      store<f32>(dh0 + o, f32x4.extract_lane(f32x4.mul(f32x4.mul(g, hv), deriv), 0));
      store<f32>(dh1 + o, f32x4.extract_lane(f32x4.mul(g, act), 0));
    } else {
      store<f32>(dh0 + o, f32x4.extract_lane(f32x4.mul(g, deriv), 0));
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Softmax over the last axis of scores [b, h, q, k] + bias + mask, where bias and mask broadcast over
// the leading axes with the given element strides (0 along a broadcast axis) and have k contiguous.

export function maskedSoftmax(
  s: usize,
  bias: usize,
  mask: usize,
  p: usize,
  b: i32,
  h: i32,
  q: i32,
  k: i32,
  bs0: i32,
  bs1: i32,
  bs2: i32,
  ms0: i32,
  ms1: i32,
  ms2: i32,
): void {
  const rowBytes = (<usize>k) << 2;
  let row: usize = 0;
  for (let i0 = 0; i0 < b; i0++) {
    for (let i1 = 0; i1 < h; i1++) {
      for (let i2 = 0; i2 < q; i2++) {
        const sr = s + row * rowBytes;
        const pr = p + row * rowBytes;
        const br = bias + ((<usize>(i0 * bs0 + i1 * bs1 + i2 * bs2)) << 2);
        const mr = mask + ((<usize>(i0 * ms0 + i1 * ms1 + i2 * ms2)) << 2);
        row++;
        // Pass 1: the summed scores into p, and their maximum.
        let vmax = f32x4.splat(-Infinity);
        let j = 0;
        for (; j + 4 <= k; j += 4) {
          const o = (<usize>j) << 2;
          let v = v128.load(sr + o);
          if (bias != 0) v = f32x4.add(v, v128.load(br + o));
          if (mask != 0) v = f32x4.add(v, v128.load(mr + o));
          v128.store(pr + o, v);
          vmax = f32x4.pmax(vmax, v);
        }
        let mx = hmax(vmax);
        for (; j < k; j++) {
          const o = (<usize>j) << 2;
          let v = load<f32>(sr + o);
          if (bias != 0) v += load<f32>(br + o);
          if (mask != 0) v += load<f32>(mr + o);
          store<f32>(pr + o, v);
          mx = Mathf.max(mx, v);
        }
        // Pass 2: exp(v − max) in place and its sum.
        const vm = f32x4.splat(mx);
        let acc = f32x4.splat(0);
        j = 0;
        for (; j + 4 <= k; j += 4) {
          const o = (<usize>j) << 2;
          const e = expNonPositive4(f32x4.sub(v128.load(pr + o), vm));
          v128.store(pr + o, e);
          acc = f32x4.add(acc, e);
        }
        let sum = hsum(acc);
        for (; j < k; j++) {
          const o = (<usize>j) << 2;
          const e = expNonPositive1(load<f32>(pr + o) - mx);
          store<f32>(pr + o, e);
          sum += e;
        }
        // Pass 3: normalise (by the reciprocal: a multiply instead of a divide per element).
        const inv: f32 = <f32>1.0 / sum;
        const vs = f32x4.splat(inv);
        j = 0;
        for (; j + 4 <= k; j += 4) {
          const o = (<usize>j) << 2;
          v128.store(pr + o, f32x4.mul(v128.load(pr + o), vs));
        }
        for (; j < k; j++) {
          const o = (<usize>j) << 2;
          store<f32>(pr + o, load<f32>(pr + o) * inv);
        }
      }
    }
  }
}

/** dS = P·(dP − Σ dP·P) over rows of width k. */
export function softmaxBackward(p: usize, dp: usize, ds: usize, rows: i32, k: i32): void {
  const rowBytes = (<usize>k) << 2;
  for (let row = 0; row < rows; row++) {
    const pr = p + <usize>row * rowBytes;
    const dpr = dp + <usize>row * rowBytes;
    const dsr = ds + <usize>row * rowBytes;
    let acc = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= k; j += 4) {
      const o = (<usize>j) << 2;
      acc = f32x4.add(acc, f32x4.mul(v128.load(dpr + o), v128.load(pr + o)));
    }
    let dot = hsum(acc);
    for (; j < k; j++) {
      const o = (<usize>j) << 2;
      dot += load<f32>(dpr + o) * load<f32>(pr + o);
    }
    const vd = f32x4.splat(dot);
    j = 0;
    for (; j + 4 <= k; j += 4) {
      const o = (<usize>j) << 2;
      v128.store(dsr + o, f32x4.mul(v128.load(pr + o), f32x4.sub(v128.load(dpr + o), vd)));
    }
    for (; j < k; j++) {
      const o = (<usize>j) << 2;
      store<f32>(dsr + o, load<f32>(pr + o) * (load<f32>(dpr + o) - dot));
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Token cross-entropy over rows of `vocab` logits with int32 labels (-100 = ignored):
// loss = (1 − ε)·(lse − x[label]) + ε·(lse − mean(x)) + z·lse², lse = log Σ exp(x).

/** Writes loss [rows] (0 where ignored) and lse [rows]; returns the number of labels out of range. */
export function crossEntropyForward(
  logits: usize,
  labels: usize,
  loss: usize,
  lse: usize,
  rows: i32,
  vocab: i32,
  smoothing: f32,
  zLoss: f32,
): i32 {
  const rowBytes = (<usize>vocab) << 2;
  let bad = 0;
  for (let row = 0; row < rows; row++) {
    const xr = logits + <usize>row * rowBytes;
    let vmax = f32x4.splat(-Infinity);
    let vsum = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= vocab; j += 4) {
      const v = v128.load(xr + ((<usize>j) << 2));
      vmax = f32x4.pmax(vmax, v);
      vsum = f32x4.add(vsum, v);
    }
    let mx = hmax(vmax);
    let sumX = <f64>hsum(vsum);
    for (; j < vocab; j++) {
      const v = load<f32>(xr + ((<usize>j) << 2));
      mx = Mathf.max(mx, v);
      sumX += <f64>v;
    }
    const vm = f32x4.splat(mx);
    let acc = f32x4.splat(0);
    j = 0;
    for (; j + 4 <= vocab; j += 4) {
      acc = f32x4.add(acc, expNonPositive4(f32x4.sub(v128.load(xr + ((<usize>j) << 2)), vm)));
    }
    let sumE = <f64>hsum(acc);
    for (; j < vocab; j++) sumE += <f64>expNonPositive1(load<f32>(xr + ((<usize>j) << 2)) - mx);
    const l = <f64>mx + log64(sumE);
    store<f32>(lse + ((<usize>row) << 2), <f32>l);
    const label = load<i32>(labels + ((<usize>row) << 2));
    let value: f64 = 0;
    if (label != -100) {
      if (label < 0 || label >= vocab) {
        bad++;
      } else {
        const target = <f64>load<f32>(xr + ((<usize>label) << 2));
        value = (l - target) * (1.0 - <f64>smoothing) + (l - sumX / <f64>vocab) * <f64>smoothing;
        value += <f64>zLoss * l * l;
      }
    }
    store<f32>(loss + ((<usize>row) << 2), <f32>value);
  }
  return bad;
}

/**
 * grad = (softmax·(1 + 2z·lse) − ε/V − (1 − ε)·onehot) · c, with c = dLoss / count for count the number
 * of labels of the whole batch that are not -100 (at least 1): passed in, so that a block of rows can be
 * computed alone. Ignored rows get 0. Labels must have passed the forward check.
 */
export function crossEntropyBackward(
  logits: usize,
  labels: usize,
  lse: usize,
  grad: usize,
  rows: i32,
  vocab: i32,
  smoothing: f32,
  zLoss: f32,
  c: f32,
): void {
  const rowBytes = (<usize>vocab) << 2;
  for (let row = 0; row < rows; row++) {
    const xr = logits + <usize>row * rowBytes;
    const gr = grad + <usize>row * rowBytes;
    const label = load<i32>(labels + ((<usize>row) << 2));
    if (label == -100 || label < 0 || label >= vocab) {
      memory.fill(gr, 0, rowBytes);
      continue;
    }
    const l = load<f32>(lse + ((<usize>row) << 2));
    const scale: f32 = (<f32>1.0 + <f32>2.0 * zLoss * l) * c;
    const shift: f32 = (smoothing / <f32>vocab) * c;
    const vl = f32x4.splat(l);
    const vs = f32x4.splat(scale);
    const off = f32x4.splat(shift);
    let j = 0;
    for (; j + 4 <= vocab; j += 4) {
      const o = (<usize>j) << 2;
      const e = expNonPositive4(f32x4.sub(v128.load(xr + o), vl));
      v128.store(gr + o, f32x4.sub(f32x4.mul(e, vs), off));
    }
    for (; j < vocab; j++) {
      const o = (<usize>j) << 2;
      store<f32>(gr + o, expNonPositive1(load<f32>(xr + o) - l) * scale - shift);
    }
    const t = gr + ((<usize>label) << 2);
    store<f32>(t, load<f32>(t) - (<f32>1.0 - smoothing) * c);
  }
}

