/**
 * Exact decimal digits of doubles, so that `{x:.2f}`, `{x:e}`, `{x:g}` and `repr(x)` round exactly as
 * CPython does (round-half-even on the exact binary value; JS `toFixed` rounds ties up instead).
 */

/** |x| = digits / 10^scale exactly, digits without leading zeros ("0" for zero). */
interface ExactDecimal {
  digits: bigint;
  scale: number;
}

function exactDecimal(x: number): ExactDecimal {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = hi >>> 20;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exponent: number;
  if (biased === 0) {
    exponent = -1074;
  } else {
    mantissa |= 1n << 52n;
    exponent = biased - 1075;
  }
  if (exponent >= 0) return { digits: mantissa << BigInt(exponent), scale: 0 };
  return { digits: mantissa * 5n ** BigInt(-exponent), scale: -exponent };
}

/** Divides by 10^shift rounding half to even. */
function roundShift(value: bigint, shift: number): bigint {
  if (shift <= 0) return value * 10n ** BigInt(-shift);
  const divisor = 10n ** BigInt(shift);
  const quotient = value / divisor;
  const twice = (value % divisor) * 2n;
  if (twice > divisor || (twice === divisor && quotient % 2n === 1n)) return quotient + 1n;
  return quotient;
}

/** Fixed notation of |x| with `precision` digits after the point (Python's 'f'). */
export function fixedDigits(x: number, precision: number): string {
  const { digits, scale } = exactDecimal(x);
  const rounded = roundShift(digits, scale - precision).toString();
  if (precision === 0) return rounded;
  const padded = rounded.padStart(precision + 1, '0');
  return `${padded.slice(0, -precision)}.${padded.slice(-precision)}`;
}

/** |x| rounded to `significant` digits: the digit string and the decimal exponent of its first digit. */
export function significantDigits(x: number, significant: number): { digits: string; exponent: number } {
  if (x === 0) return { digits: '0'.repeat(significant), exponent: 0 };
  const { digits, scale } = exactDecimal(x);
  const length = digits.toString().length;
  let rounded = roundShift(digits, length - significant).toString();
  let exponent = length - 1 - scale;
  if (rounded.length > significant) {
    // Rounding carried into a new leading digit (9.99 → 10.0).
    rounded = rounded.slice(0, significant);
    exponent += 1;
  }
  return { digits: rounded, exponent };
}

function exponentSuffix(exponent: number, letter: string): string {
  const sign = exponent < 0 ? '-' : '+';
  return `${letter}${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

/** Scientific notation of |x| (Python's 'e'): d.ddd e±XX. */
export function exponentDigits(x: number, precision: number, alternate = false, letter = 'e'): string {
  const { digits, exponent } = significantDigits(x, precision + 1);
  const mantissa = precision > 0 || alternate ? `${digits[0]}.${digits.slice(1)}` : digits;
  return mantissa + exponentSuffix(exponent, letter);
}

function stripZeros(text: string): string {
  if (!text.includes('.')) return text;
  return text.replace(/0+$/, '').replace(/\.$/, '');
}

/**
 * Python's 'g' of |x|: `precision` significant digits, fixed when -4 <= exponent < precision,
 * trailing zeros removed unless `alternate`; `addDot0` is the no-type variant (`{x:.3}`).
 */
export function generalDigits(
  x: number,
  precision: number,
  alternate: boolean,
  addDot0: boolean,
  upper: boolean,
) {
  const p = precision === 0 ? 1 : precision;
  const { exponent } = significantDigits(x, p);
  let text: string;
  let fixed: boolean;
  // The no-type form keeps one digit for its ".0", so it switches to exponents one digit earlier (CPython).
  if (exponent >= -4 && exponent < (addDot0 ? p - 1 : p)) {
    text = fixedDigits(x, p - 1 - exponent);
    fixed = true;
  } else {
    text = exponentDigits(x, p - 1, alternate, upper ? 'E' : 'e');
    fixed = false;
  }
  if (!alternate) {
    if (fixed) text = stripZeros(text);
    else {
      const at = text.search(/[eE]/);
      text = stripZeros(text.slice(0, at)) + text.slice(at);
    }
  }
  if (addDot0 && fixed && !text.includes('.')) text += '.0';
  return text;
}

/**
 * Python's `repr(float)` of |x| or x: shortest round-trip digits (as JS `toString`), laid out as
 * Python does: fixed for 1e-4 <= |x| < 1e16, else d.ddde±XX; integral values get ".0".
 */
export function formatFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x < 0 ? '-inf' : 'inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const abs = Math.abs(x);
  if (abs === 0) return `${sign}0.0`;
  // JS gives the shortest digits; re-lay them out with Python's thresholds.
  const [mantissa, exp = '0'] = abs.toExponential().split('e');
  const digits = mantissa!.replace('.', '');
  const exponent = Number(exp);
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
    const intPart = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
    const frac = digits.slice(exponent + 1);
    return `${sign}${intPart}.${frac === '' ? '0' : frac}`;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return sign + m + exponentSuffix(exponent, 'e');
}
