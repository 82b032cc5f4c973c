/**
 * Python `str.format` for templates: `{field}`, `{{`/`}}` escapes, attribute and index access
 * (`{a.b}`, `{a[0]}`, `{a[key]}`), conversions (`!s`, `!r`, `!a`), format specs with nested fields
 * (`{x:>{width}}`) and positional fields (`{}`, `{0}`). Templates are parsed once and cached, then
 * rendered by concatenation.
 */
import { FieldFormatError, MissingFieldError, TemplateSyntaxError, type TemplateContext } from '../errors';
import { FormatSpecError, formatValue } from './format-spec';
import { pythonRepr, pythonStr, pythonTypeName } from './python-repr';

type Accessor = { kind: 'attribute'; name: string } | { kind: 'index'; key: string | number };

interface FieldPart {
  /** The field as written between the braces, before `!` and `:` (for error messages). */
  text: string;
  /** Keyword name, or positional index (explicit or auto-numbered). */
  first: string | number;
  accessors: Accessor[];
  conversion: 'r' | 's' | 'a' | undefined;
  /** Literal format spec, or a parsed one when it holds nested fields. */
  spec: string | CompiledFormat;
}

/** A parsed template: literal strings interleaved with fields. */
export type CompiledFormat = ReadonlyArray<string | FieldPart>;

interface Numbering {
  auto: number;
  mode: 'auto' | 'manual' | undefined;
}

function syntaxError(message: string, context: TemplateContext): never {
  throw new TemplateSyntaxError(message, context);
}

const DIGITS = /^[0-9]+$/;

function parseFieldName(text: string, numbering: Numbering, context: TemplateContext) {
  let i = 0;
  while (i < text.length && text[i] !== '.' && text[i] !== '[') i++;
  const head = text.slice(0, i);
  let first: string | number;
  if (head === '') {
    if (numbering.mode === 'manual') {
      syntaxError('cannot switch from manual field specification to automatic field numbering', context);
    }
    numbering.mode = 'auto';
    first = numbering.auto++;
  } else if (DIGITS.test(head)) {
    if (numbering.mode === 'auto') {
      syntaxError('cannot switch from automatic field numbering to manual field specification', context);
    }
    numbering.mode = 'manual';
    first = Number(head);
  } else {
    first = head;
  }
  const accessors: Accessor[] = [];
  while (i < text.length) {
    const c = text[i];
    if (c === '.') {
      let j = i + 1;
      while (j < text.length && text[j] !== '.' && text[j] !== '[') j++;
      const name = text.slice(i + 1, j);
      if (name === '') syntaxError('Empty attribute in format string', context);
      accessors.push({ kind: 'attribute', name });
      i = j;
    } else if (c === '[') {
      const close = text.indexOf(']', i + 1);
      if (close < 0) syntaxError("Missing ']' in format string", context);
      const key = text.slice(i + 1, close);
      if (key === '') syntaxError('Empty attribute in format string', context);
      accessors.push({ kind: 'index', key: DIGITS.test(key) ? Number(key) : key });
      i = close + 1;
      if (i < text.length && text[i] !== '.' && text[i] !== '[') {
        syntaxError("Only '.' or '[' may follow ']' in format field specifier", context);
      }
    } else {
      syntaxError(`unexpected character in field name "${text}"`, context);
    }
  }
  return { first, accessors };
}

function parseField(body: string, numbering: Numbering, depth: number, context: TemplateContext): FieldPart {
  // The field name ends at the first ':' or '!' outside square brackets (CPython parse_field).
  let i = 0;
  let stop = '';
  while (i < body.length) {
    const c = body[i]!;
    i++;
    if (c === '{') syntaxError("unexpected '{' in field name", context);
    if (c === '[') {
      while (i < body.length && body[i] !== ']') i++;
      continue;
    }
    if (c === ':' || c === '!') {
      stop = c;
      break;
    }
  }
  const text = stop === '' ? body : body.slice(0, i - 1);
  let conversion: FieldPart['conversion'];
  let specText = '';
  if (stop === '!') {
    if (i >= body.length) syntaxError('end of string while looking for conversion specifier', context);
    const conv = body[i]!;
    i++;
    if (i < body.length) {
      if (body[i] !== ':') syntaxError("expected ':' after conversion specifier", context);
      i++;
      specText = body.slice(i);
    }
    if (conv !== 'r' && conv !== 's' && conv !== 'a')
      syntaxError(`Unknown conversion specifier ${conv}`, context);
    conversion = conv;
  } else if (stop === ':') {
    specText = body.slice(i);
  }
  const { first, accessors } = parseFieldName(text, numbering, context);
  const spec = specText.includes('{') ? parseTemplate(specText, numbering, depth - 1, context) : specText;
  return { text, first, accessors, conversion, spec };
}

function parseTemplate(template: string, numbering: Numbering, depth: number, context: TemplateContext) {
  if (depth < 0) syntaxError('Max string recursion exceeded', context);
  const parts: Array<string | FieldPart> = [];
  let literal = '';
  let i = 0;
  const n = template.length;
  while (i < n) {
    const c = template[i];
    if (c === '{') {
      if (template[i + 1] === '{') {
        literal += '{';
        i += 2;
        continue;
      }
      if (i + 1 >= n) syntaxError("Single '{' encountered in format string", context);
      let j = i + 1;
      let nesting = 1;
      for (; j < n; j++) {
        const d = template[j];
        if (d === '{') nesting++;
        else if (d === '}' && --nesting === 0) break;
      }
      if (j >= n) syntaxError("expected '}' before end of string", context);
      if (literal !== '') parts.push(literal);
      literal = '';
      parts.push(parseField(template.slice(i + 1, j), numbering, depth, context));
      i = j + 1;
    } else if (c === '}') {
      if (template[i + 1] !== '}') syntaxError("Single '}' encountered in format string", context);
      literal += '}';
      i += 2;
    } else {
      const next = template.slice(i).search(/[{}]/);
      const end = next < 0 ? n : i + next;
      literal += template.slice(i, end);
      i = end;
    }
  }
  if (literal !== '') parts.push(literal);
  return parts;
}

const cache = new Map<string, CompiledFormat>();
const CACHE_LIMIT = 10_000;

/** Parses a template (cached); throws {@link TemplateSyntaxError} for malformed braces or fields. */
export function compileFormat(template: string, context: TemplateContext = {}): CompiledFormat {
  const hit = cache.get(template);
  if (hit) return hit;
  // Depth 2 as in CPython: one level of nested fields inside a format spec.
  const compiled = parseTemplate(template, { auto: 0, mode: undefined }, 2, context);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(template, compiled);
  return compiled;
}

/** The keyword fields a template reads (top-level names, in order of first use). */
export function templateFields(template: string): string[] {
  const names = new Set<string>();
  const visit = (parts: CompiledFormat) => {
    for (const part of parts) {
      if (typeof part === 'string') continue;
      if (typeof part.first === 'string') names.add(part.first);
      if (typeof part.spec !== 'string') visit(part.spec);
    }
  };
  visit(compileFormat(template));
  return [...names];
}

function access(value: unknown, accessor: Accessor, field: FieldPart, context: TemplateContext): unknown {
  const fail = (message: string): never => {
    throw new MissingFieldError(field.text, context, `field "${field.text}": ${message}`);
  };
  if (accessor.kind === 'attribute') {
    // Python has no attribute access on str/list/dict items; JS objects expose their properties.
    if (
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      Object.hasOwn(value, accessor.name)
    ) {
      return (value as Record<string, unknown>)[accessor.name];
    }
    return fail(`'${pythonTypeName(value)}' object has no attribute '${accessor.name}'`);
  }
  const { key } = accessor;
  if (typeof value === 'string' || Array.isArray(value)) {
    if (typeof key === 'string') {
      return fail(`${pythonTypeName(value)} indices must be integers or slices, not str`);
    }
    if (typeof value === 'string') {
      const chars = Array.from(value);
      if (key >= chars.length) return fail('string index out of range');
      return chars[key];
    }
    if (key >= value.length) return fail('list index out of range');
    return value[key];
  }
  if (value !== null && typeof value === 'object') {
    // JSON object keys are strings: like a Python dict, {d[0]} looks up the int 0 and misses "0".
    if (typeof key === 'string' && Object.hasOwn(value, key)) return (value as Record<string, unknown>)[key];
    return fail(`key ${typeof key === 'string' ? pythonRepr(key) : key} not found`);
  }
  return fail(`'${pythonTypeName(value)}' object is not subscriptable`);
}

/**
 * Renders a compiled template. `fields` are the keyword arguments, `positional` the positional ones.
 * Values are inserted verbatim: braces inside values are never reinterpreted.
 */
export function renderCompiled(
  compiled: CompiledFormat,
  fields: Readonly<Record<string, unknown>>,
  context: TemplateContext = {},
  positional: readonly unknown[] = [],
): string {
  let out = '';
  for (const part of compiled) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    let value: unknown;
    if (typeof part.first === 'number') {
      if (part.first >= positional.length) {
        throw new MissingFieldError(
          String(part.first),
          context,
          `replacement index ${part.first} out of range for positional args tuple (use named fields)`,
        );
      }
      value = positional[part.first];
    } else {
      if (!Object.hasOwn(fields, part.first)) throw new MissingFieldError(part.first, context);
      value = fields[part.first];
    }
    for (const accessor of part.accessors) value = access(value, accessor, part, context);
    if (typeof value === 'number' && Number.isNaN(value)) {
      throw new FieldFormatError(part.text, 'value is NaN', context);
    }
    if (part.conversion === 'r') value = pythonRepr(value);
    else if (part.conversion === 'a') value = pythonRepr(value, true);
    else if (part.conversion === 's') value = pythonStr(value);
    const spec =
      typeof part.spec === 'string' ? part.spec : renderCompiled(part.spec, fields, context, positional);
    if (spec === '' && typeof value === 'string') {
      out += value;
      continue;
    }
    try {
      out += formatValue(value, spec);
    } catch (error) {
      if (error instanceof FormatSpecError) throw new FieldFormatError(part.text, error.message, context);
      throw error;
    }
  }
  return out;
}

/**
 * `template.format(*positional, **fields)` with Python semantics.
 *
 * @example
 * pyFormat('{name!r:>8} has {{braces}}', { name: 'x' }) // "     'x' has {braces}"
 */
export function pyFormat(
  template: string,
  fields: Readonly<Record<string, unknown>>,
  context: TemplateContext = {},
  positional: readonly unknown[] = [],
): string {
  return renderCompiled(compileFormat(template, context), fields, context, positional);
}
