/**
 * Python's `str()`, `repr()` and `ascii()` of JSON-like values, needed for `{field!r}` / `{field!a}`
 * conversions and for formatting lists and dicts, which Python renders as their repr.
 *
 * Mapping of JSON values to Python types: string → str, integral number → int, other number → float,
 * boolean → bool, null → None, array → list, object → dict.
 */
import { formatFloatRepr } from './float-digits';

// Python's str.isprintable(): everything except the Unicode categories Other (C*) and Separator (Z*),
// with the ASCII space as the one printable separator.
const NON_PRINTABLE = /[\p{C}\p{Z}]/u;

function escapeCodePoint(cp: number): string {
  if (cp < 0x100) return `\\x${cp.toString(16).padStart(2, '0')}`;
  if (cp < 0x10000) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return `\\U${cp.toString(16).padStart(8, '0')}`;
}

/** `repr(s)` (or `ascii(s)` when `asciiOnly`) of a Python str. */
export function reprString(value: string, asciiOnly = false): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || cp === 0x7f) out += escapeCodePoint(cp);
    else if (cp < 0x7f) out += ch;
    else if (asciiOnly || (ch !== ' ' && NON_PRINTABLE.test(ch))) out += escapeCodePoint(cp);
    else out += ch;
  }
  return out + quote;
}

/** Whether a JS number stands for a Python int: integral, and not -0 (only floats have a negative zero). */
export function isPythonInt(value: number): boolean {
  return Number.isInteger(value) && !Object.is(value, -0);
}

/** Python's `repr(int)`: exact digits even beyond 2^53 (JS would switch to exponent notation). */
export function intString(value: number): string {
  return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
}

function reprNumber(value: number): string {
  return isPythonInt(value) ? intString(value) : formatFloatRepr(value);
}

/** `repr(value)` / `ascii(value)` with the JSON → Python type mapping above. */
export function pythonRepr(value: unknown, asciiOnly = false): string {
  if (typeof value === 'string') return reprString(value, asciiOnly);
  if (typeof value === 'number') return reprNumber(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value === null || value === undefined) return 'None';
  if (Array.isArray(value)) return `[${value.map((v) => pythonRepr(v, asciiOnly)).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return `{${entries.map(([k, v]) => `${reprString(k, asciiOnly)}: ${pythonRepr(v, asciiOnly)}`).join(', ')}}`;
  }
  return String(value);
}

/** `str(value)`: strings as they are, everything else as its repr. */
export function pythonStr(value: unknown): string {
  if (typeof value === 'string') return value;
  return pythonRepr(value);
}

/** Python type name of a JSON-like value, as Python's error messages print it. */
export function pythonTypeName(value: unknown): string {
  if (typeof value === 'string') return 'str';
  if (typeof value === 'number') return isPythonInt(value) ? 'int' : 'float';
  if (typeof value === 'boolean') return 'bool';
  if (value === null || value === undefined) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  return 'dict';
}
