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
  /**
   * Malformed-field messages, raised where CPython raises them: `before` ahead of the lookup,
   * `afterAccess` once the well-formed accessors have been applied, `conversion` after that.
   */
  errors?: { before?: string; afterAccess?: string; conversion?: string };
}

/** A syntax error in the template text, raised when rendering reaches it (CPython formats lazily). */
interface ErrorPart {
  error: string;
}

/** A parsed template: literal strings interleaved with fields (and deferred syntax errors). */
export type CompiledFormat = ReadonlyArray<string | FieldPart | ErrorPart>;

interface Numbering {
  auto: number;
  mode: 'auto' | 'manual' | undefined;
}

const DIGITS = /^[0-9]+$/;

function parseFieldName(text: string, numbering: Numbering, field: FieldPart): void {
  let i = 0;
  while (i < text.length && text[i] !== '.' && text[i] !== '[') i++;
  const head = text.slice(0, i);
  if (head === '') {
    if (numbering.mode === 'manual') {
      field.errors = { before: 'cannot switch from manual field specification to automatic field numbering' };
      return;
    }
    numbering.mode = 'auto';
    field.first = numbering.auto++;
  } else if (DIGITS.test(head)) {
    if (numbering.mode === 'auto') {
      field.errors = { before: 'cannot switch from automatic field numbering to manual field specification' };
      return;
    }
    numbering.mode = 'manual';
    field.first = Number(head);
  } else {
    field.first = head;
  }
  // Accessors are parsed lazily in CPython: a malformed one fails after the earlier ones were applied.
  const fail = (message: string) => {
    field.errors = { ...field.errors, afterAccess: message };
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '.') {
      let j = i + 1;
      while (j < text.length && text[j] !== '.' && text[j] !== '[') j++;
      const name = text.slice(i + 1, j);
      if (name === '') return fail('Empty attribute in format string');
      field.accessors.push({ kind: 'attribute', name });
      i = j;
    } else {
      const close = text.indexOf(']', i + 1);
      if (close < 0) return fail("Missing ']' in format string");
      const key = text.slice(i + 1, close);
      if (key === '') return fail('Empty attribute in format string');
      field.accessors.push({ kind: 'index', key: DIGITS.test(key) ? Number(key) : key });
      i = close + 1;
      if (i < text.length && text[i] !== '.' && text[i] !== '[') {
        return fail("Only '.' or '[' may follow ']' in format field specifier");
      }
    }
  }
}

/**
 * Scans one replacement field starting just after its `{` (CPython `parse_field`): the name ends at
 * `}`, `:` or `!` outside square brackets; then an optional conversion; then a format spec that ends
 * at the `}` balancing the field's braces. Returns the field and the index after its closing `}`.
 */
function parseField(t: string, start: number, numbering: Numbering, depth: number): [FieldPart, number] {
  const field: FieldPart = { text: '', first: '', accessors: [], conversion: undefined, spec: '' };
  const fail = (message: string): [FieldPart, number] => {
    field.errors = { before: message };
    return [field, t.length];
  };
  const n = t.length;
  let i = start;
  let c = '';
  let stopped = false;
  while (i < n) {
    c = t[i++]!;
    if (c === '{') return fail("unexpected '{' in field name");
    if (c === '[') {
      while (i < n && t[i] !== ']') i++;
      continue;
    }
    if (c === '}' || c === ':' || c === '!') {
      stopped = true;
      break;
    }
  }
  field.text = t.slice(start, stopped ? i - 1 : i);
  let conversion = '';
  let specText = '';
  let needsExpanding = false;
  if (stopped && (c === '!' || c === ':')) {
    let done = false;
    if (c === '!') {
      if (i >= n) return fail('end of string while looking for conversion specifier');
      conversion = t[i++]!;
      if (i < n) {
        const next = t[i++];
        if (next === '}') done = true;
        else if (next !== ':') return fail("expected ':' after conversion specifier");
      }
    }
    if (!done) {
      const specStart = i;
      let count = 1;
      while (i < n) {
        const d = t[i++];
        if (d === '{') {
          needsExpanding = true;
          count++;
        } else if (d === '}' && --count === 0) {
          done = true;
          break;
        }
      }
      if (!done) return fail("unmatched '{' in format spec");
      specText = t.slice(specStart, i - 1);
    }
  } else if (!stopped) {
    return fail("expected '}' before end of string");
  }
  parseFieldName(field.text, numbering, field);
  if (field.errors?.before !== undefined) return [field, n];
  if (conversion === 'r' || conversion === 's' || conversion === 'a') field.conversion = conversion;
  else if (conversion !== '')
    field.errors = { ...field.errors, conversion: `Unknown conversion specifier ${conversion}` };
  field.spec = needsExpanding ? parseTemplate(specText, numbering, depth - 1) : specText;
  return [field, i];
}

function parseTemplate(template: string, numbering: Numbering, depth: number): CompiledFormat {
  if (depth <= 0) return [{ error: 'Max string recursion exceeded' }];
  const parts: Array<string | FieldPart | ErrorPart> = [];
  let literal = '';
  const flush = () => {
    if (literal !== '') parts.push(literal);
    literal = '';
  };
  const stopWith = (error: string) => {
    flush();
    parts.push({ error });
    return parts;
  };
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
      if (i + 1 >= n) return stopWith("Single '{' encountered in format string");
      flush();
      const [field, next] = parseField(template, i + 1, numbering, depth);
      parts.push(field);
      // CPython stops at a malformed field: nothing after it is parsed (or numbered).
      if (field.errors?.before !== undefined) return parts;
      i = next;
    } else if (c === '}') {
      if (template[i + 1] !== '}') return stopWith("Single '}' encountered in format string");
      literal += '}';
      i += 2;
    } else {
      const next = template.slice(i).search(/[{}]/);
      const end = next < 0 ? n : i + next;
      literal += template.slice(i, end);
      i = end;
    }
  }
  flush();
  return parts;
}

const cache = new Map<string, CompiledFormat>();
const CACHE_LIMIT = 10_000;

/**
 * Parses a template (cached). Never throws: syntax errors are kept in place and raised as
 * {@link TemplateSyntaxError} when rendering reaches them, in CPython's order. Use
 * {@link checkTemplate} to validate a template up front.
 */
export function compileFormat(template: string): CompiledFormat {
  const hit = cache.get(template);
  if (hit) return hit;
  // Depth 2 as in CPython: one level of nested fields inside a format spec.
  const compiled = parseTemplate(template, { auto: 0, mode: undefined }, 2);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(template, compiled);
  return compiled;
}

/** Throws the first syntax error of a template, if any (without rendering it). */
export function checkTemplate(template: string, context: TemplateContext = {}): void {
  const visit = (parts: CompiledFormat) => {
    for (const part of parts) {
      if (typeof part === 'string') continue;
      if ('error' in part) throw new TemplateSyntaxError(part.error, context);
      const errors = part.errors;
      const first = errors?.before ?? errors?.afterAccess ?? errors?.conversion;
      if (first !== undefined) throw new TemplateSyntaxError(first, context);
      if (typeof part.spec !== 'string') visit(part.spec);
    }
  };
  visit(compileFormat(template));
}

/** The keyword fields a template reads (top-level names, in order of first use). */
export function templateFields(template: string): string[] {
  const names = new Set<string>();
  const visit = (parts: CompiledFormat) => {
    for (const part of parts) {
      if (typeof part === 'string' || 'error' in part) continue;
      if (typeof part.first === 'string' && part.first !== '') names.add(part.first);
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
    if ('error' in part) throw new TemplateSyntaxError(part.error, context);
    if (part.errors?.before !== undefined) throw new TemplateSyntaxError(part.errors.before, context);
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
    if (part.errors?.afterAccess !== undefined)
      throw new TemplateSyntaxError(part.errors.afterAccess, context);
    if (part.errors?.conversion !== undefined) throw new TemplateSyntaxError(part.errors.conversion, context);
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
  return renderCompiled(compileFormat(template), fields, context, positional);
}
