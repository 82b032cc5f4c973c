/**
 * Python's format-spec mini-language (`[[fill]align][sign][z][#][0][width][grouping][.precision][type]`)
 * applied to JSON-like values, i.e. `format(value, spec)` for str, int, float, bool, None, list, dict.
 * Errors carry CPython's messages.
 */
import { exponentDigits, fixedDigits, formatFloatRepr, generalDigits } from './float-digits';
import { intString, isPythonInt, pythonStr, pythonTypeName } from './python-repr';

/** Thrown for a spec the value's type does not accept; the renderer adds field and template. */
export class FormatSpecError extends Error {
  override name = 'FormatSpecError';
}

interface Spec {
  fill: string;
  fillGiven: boolean;
  align: string | undefined;
  sign: string | undefined;
  noNegZero: boolean;
  alternate: boolean;
  width: number;
  grouping: string | undefined;
  precision: number | undefined;
  type: string;
}

/** `defaultType` is the type CPython assumes for an empty one: 's' for str, 'd' for int, '' for float. */
function parseSpec(spec: string, typeName: string, defaultAlign: string, defaultType = ''): Spec {
  const chars = Array.from(spec);
  let i = 0;
  const out: Spec = {
    fill: ' ',
    fillGiven: false,
    align: undefined,
    sign: undefined,
    noNegZero: false,
    alternate: false,
    width: -1,
    grouping: undefined,
    precision: undefined,
    type: '',
  };
  const isAlign = (c: string | undefined) => c === '<' || c === '>' || c === '=' || c === '^';
  if (chars.length >= 2 && isAlign(chars[1])) {
    out.fill = chars[0]!;
    out.fillGiven = true;
    out.align = chars[1];
    i = 2;
  } else if (isAlign(chars[0])) {
    out.align = chars[0];
    i = 1;
  }
  if (chars[i] === '+' || chars[i] === '-' || chars[i] === ' ') out.sign = chars[i++];
  if (chars[i] === 'z') {
    out.noNegZero = true;
    i++;
  }
  if (chars[i] === '#') {
    out.alternate = true;
    i++;
  }
  if (chars[i] === '0') {
    if (!out.fillGiven) {
      out.fill = '0';
      if (out.align === undefined && defaultAlign === '>') out.align = '=';
    }
    i++;
  }
  let digits = '';
  while (i < chars.length && /[0-9]/.test(chars[i]!)) digits += chars[i++];
  if (digits !== '') out.width = Number(digits);
  if (chars[i] === ',' || chars[i] === '_') out.grouping = chars[i++];
  if (chars[i] === ',' || chars[i] === '_') throw new FormatSpecError("Cannot specify both ',' and '_'.");
  if (chars[i] === '.') {
    i++;
    let p = '';
    while (i < chars.length && /[0-9]/.test(chars[i]!)) p += chars[i++];
    if (p === '') throw new FormatSpecError('Format specifier missing precision');
    out.precision = Number(p);
  }
  if (chars.length - i > 1) {
    throw new FormatSpecError(`Invalid format specifier '${spec}' for object of type '${typeName}'`);
  }
  if (i < chars.length) out.type = chars[i]!;
  const effectiveType = out.type === '' ? defaultType : out.type;
  if (out.grouping !== undefined && effectiveType !== '') {
    const allowed =
      out.grouping === ',' ? 'deEfFgG%'.includes(effectiveType) : 'deEfFgG%boxX'.includes(effectiveType);
    if (!allowed) throw new FormatSpecError(`Cannot specify '${out.grouping}' with '${effectiveType}'.`);
  }
  return out;
}

function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

function pad(body: string, spec: Spec, align: string, signAndPrefix = ''): string {
  const length = codePointLength(body) + codePointLength(signAndPrefix);
  if (spec.width <= length) return signAndPrefix + body;
  const total = spec.width - length;
  const fill = (n: number) => spec.fill.repeat(n);
  switch (align) {
    case '<':
      return signAndPrefix + body + fill(total);
    case '^': {
      const left = Math.floor(total / 2);
      return fill(left) + signAndPrefix + body + fill(total - left);
    }
    case '=':
      return signAndPrefix + fill(total) + body;
    default:
      return fill(total) + signAndPrefix + body;
  }
}

function formatString(value: string, spec: Spec): string {
  // CPython's order of checks (unicode __format__, then format_string_internal).
  if (spec.type !== '' && spec.type !== 's') {
    throw new FormatSpecError(`Unknown format code '${spec.type}' for object of type 'str'`);
  }
  if (spec.sign === ' ') throw new FormatSpecError('Space not allowed in string format specifier');
  if (spec.sign !== undefined) throw new FormatSpecError('Sign not allowed in string format specifier');
  if (spec.noNegZero) {
    throw new FormatSpecError('Negative zero coercion (z) not allowed in string format specifier');
  }
  if (spec.alternate) throw new FormatSpecError('Alternate form (#) not allowed in string format specifier');
  if (spec.align === '=') throw new FormatSpecError("'=' alignment not allowed in string format specifier");
  let body = value;
  if (spec.precision !== undefined) body = Array.from(value).slice(0, spec.precision).join('');
  return pad(body, spec, spec.align ?? '<');
}

function group(intDigits: string, separator: string, every: number): string {
  let out = '';
  for (let end = intDigits.length; end > 0; end -= every) {
    const start = Math.max(0, end - every);
    out = intDigits.slice(start, end) + (out === '' ? '' : separator + out);
  }
  return out;
}

/** Groups the integer part; with '0'-padding Python also groups the padding zeros. */
function groupNumber(body: string, spec: Spec, signAndPrefix: string, every: number): string {
  if (spec.grouping === undefined) return body;
  const dot = body.search(/[.eE%]/);
  const intPart = dot < 0 ? body : body.slice(0, dot);
  const rest = dot < 0 ? '' : body.slice(dot);
  if (!/^[0-9a-fA-F]+$/.test(intPart)) return body;
  let digits = intPart;
  let grouped = group(digits, spec.grouping, every);
  if (spec.fill === '0' && spec.align === '=') {
    const wanted = spec.width - signAndPrefix.length - rest.length;
    while (grouped.length < wanted) {
      digits = '0' + digits;
      grouped = group(digits, spec.grouping, every);
    }
  }
  return grouped + rest;
}

function signOf(negative: boolean, spec: Spec): string {
  if (negative) return '-';
  if (spec.sign === '+') return '+';
  if (spec.sign === ' ') return ' ';
  return '';
}

function formatInt(value: number, spec: Spec, typeName: string): string {
  if (spec.precision !== undefined)
    throw new FormatSpecError('Precision not allowed in integer format specifier');
  if (spec.noNegZero)
    throw new FormatSpecError('Negative zero coercion (z) not allowed in integer format specifier');
  const negative = value < 0;
  const magnitude = negative ? -value : value;
  let body: string;
  let prefix = '';
  let every = 3;
  switch (spec.type) {
    case '':
    case 'd':
    case 'n':
      if (spec.type === 'n' && spec.grouping !== undefined) {
        throw new FormatSpecError(`Cannot specify '${spec.grouping}' with 'n'.`);
      }
      body = intString(magnitude);
      break;
    case 'b':
    case 'o':
    case 'x':
    case 'X': {
      const radix = spec.type === 'b' ? 2 : spec.type === 'o' ? 8 : 16;
      body = BigInt(magnitude).toString(radix);
      if (spec.type === 'X') body = body.toUpperCase();
      if (spec.alternate) prefix = `0${spec.type}`;
      every = 4;
      break;
    }
    case 'c':
      if (spec.sign !== undefined)
        throw new FormatSpecError("Sign not allowed with integer format specifier 'c'");
      if (spec.alternate)
        throw new FormatSpecError("Alternate form (#) not allowed with integer format specifier 'c'");
      if (value < 0 || value > 0x10ffff) throw new FormatSpecError('%c arg not in range(0x110000)');
      return pad(String.fromCodePoint(value), spec, spec.align ?? '>');
    default:
      throw new FormatSpecError(`Unknown format code '${spec.type}' for object of type '${typeName}'`);
  }
  const signAndPrefix = signOf(negative, spec) + prefix;
  return pad(groupNumber(body, spec, signAndPrefix, every), spec, spec.align ?? '>', signAndPrefix);
}

function formatFloat(value: number, spec: Spec): string {
  let negative = value < 0 || Object.is(value, -0);
  const magnitude = Math.abs(value);
  const upper = spec.type === 'E' || spec.type === 'F' || spec.type === 'G';
  let body: string;
  if (!Number.isFinite(value)) {
    body = Number.isNaN(value) ? 'nan' : 'inf';
    negative = value < 0;
    if (upper) body = body.toUpperCase();
    if (spec.type === '%') body += '%';
  } else {
    const p = spec.precision;
    switch (spec.type) {
      case 'f':
      case 'F':
        body = fixedDigits(magnitude, p ?? 6);
        if (spec.alternate && !body.includes('.')) body += '.';
        break;
      case 'e':
      case 'E':
        body = exponentDigits(magnitude, p ?? 6, spec.alternate, spec.type);
        break;
      case 'g':
      case 'G':
      case 'n':
        body = generalDigits(magnitude, p ?? 6, spec.alternate, false, upper);
        break;
      case '%':
        body = fixedDigits(magnitude * 100, p ?? 6);
        if (spec.alternate && !body.includes('.')) body += '.';
        body += '%';
        break;
      case '':
        body =
          p === undefined
            ? formatFloatRepr(magnitude)
            : generalDigits(magnitude, p, spec.alternate, true, false);
        // '#' always shows the decimal point, also in the repr form (1e-05 → 1.e-05).
        if (spec.alternate && !body.includes('.')) body = body.replace(/(e|$)/, '.$1');
        break;
      default:
        throw new FormatSpecError(`Unknown format code '${spec.type}' for object of type 'float'`);
    }
    // 'z' turns a negative zero (also one produced by rounding) into a positive one.
    if (negative && spec.noNegZero && !/[1-9]/.test(body.replace(/e.*$/i, ''))) negative = false;
  }
  const sign = signOf(negative, spec);
  return pad(groupNumber(body, spec, sign, 3), spec, spec.align ?? '>', sign);
}

/** `format(value, spec)` in Python, for the JSON → Python type mapping of {@link pythonStr}. */
export function formatValue(value: unknown, spec: string): string {
  if (spec === '') return pythonStr(value);
  const typeName = pythonTypeName(value);
  if (typeof value === 'string') return formatString(value, parseSpec(spec, 'str', '<', 's'));
  // bool is an int subclass: a non-empty spec formats it as 1 / 0.
  if (typeof value === 'boolean') return formatNumber(value ? 1 : 0, parseSpec(spec, 'bool', '>'), 'bool');
  if (typeof value === 'number') return formatNumber(value, parseSpec(spec, typeName, '>'), typeName);
  throw new FormatSpecError(`unsupported format string passed to ${typeName}.__format__`);
}

function formatNumber(value: number, spec: Spec, typeName: string): string {
  if (isPythonInt(value) && 'bcdoxXn'.includes(spec.type) && spec.type !== '') {
    return formatInt(value, spec, typeName);
  }
  if (isPythonInt(value) && spec.type === '') return formatInt(value, spec, typeName);
  if (!isPythonInt(value) && 'bcdoxX'.includes(spec.type) && spec.type !== '') {
    throw new FormatSpecError(`Unknown format code '${spec.type}' for object of type 'float'`);
  }
  if (isPythonInt(value) && spec.type !== '' && !'eEfFgG%'.includes(spec.type)) {
    throw new FormatSpecError(`Unknown format code '${spec.type}' for object of type '${typeName}'`);
  }
  return formatFloat(value, spec);
}
