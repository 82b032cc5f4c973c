/**
 * `tokenizer.json` decoders, as `tokenizers`' `decode_chain`: each maps the list of token strings
 * to a new list, and the final list is concatenated.
 */
import { pushByteLevelToken } from './byte-level';
import { patternRegex } from './normalizers';
import type { Json } from './types';
import { invalidComponent, isObject, unknownComponent } from './types';

export type Decoder = (tokens: string[]) => string[];

// Non-fatal: invalid UTF-8 becomes U+FFFD per maximal subpart, as Rust's `from_utf8_lossy`.
const lossy = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;

export function buildDecoder(spec: unknown, source: string): Decoder | undefined {
  if (spec === null || spec === undefined) return undefined;
  if (!isObject(spec)) return unknownComponent(source, 'decoder', spec);
  const d: Json = spec;
  switch (d.type) {
    case 'ByteLevel':
      return (tokens) => {
        const bytes: number[] = [];
        for (const t of tokens) pushByteLevelToken(t, bytes);
        return [lossy.decode(Uint8Array.from(bytes))];
      };
    case 'Metaspace': {
      const replacement = typeof d.replacement === 'string' ? d.replacement : '\u2581';
      const scheme =
        typeof d.prepend_scheme === 'string'
          ? d.prepend_scheme
          : d.add_prefix_space === false
            ? 'never'
            : 'always';
      return (tokens) =>
        tokens.map((t, i) => {
          const text = t.replaceAll(replacement, ' ');
          return i === 0 && scheme !== 'never' && text.startsWith(' ') ? text.slice(1) : text;
        });
    }
    case 'Replace': {
      const regex = patternRegex(d.pattern, source, 'Replace decoder');
      if (typeof d.content !== 'string') invalidComponent(source, 'Replace decoder needs "content"');
      const content = d.content;
      return (tokens) => tokens.map((t) => t.replace(regex, () => content));
    }
    case 'Fuse':
      return (tokens) => [tokens.join('')];
    case 'Strip': {
      const content = typeof d.content === 'string' ? d.content : ' ';
      const start = typeof d.start === 'number' ? d.start : 0;
      const stop = typeof d.stop === 'number' ? d.stop : 0;
      return (tokens) =>
        tokens.map((t) => {
          const chars = Array.from(t);
          let a = 0;
          while (a < start && chars[a] === content) a++;
          let b = chars.length;
          while (chars.length - b < stop && b > a && chars[b - 1] === content) b--;
          return chars.slice(a, b).join('');
        });
    }
    case 'ByteFallback':
      return (tokens) => {
        const out: string[] = [];
        let bytes: number[] = [];
        const flush = (): void => {
          if (bytes.length === 0) return;
          try {
            out.push(strict.decode(Uint8Array.from(bytes)));
          } catch {
            // `tokenizers` writes one U+FFFD per byte of an invalid run.
            out.push('\ufffd'.repeat(bytes.length));
          }
          bytes = [];
        };
        for (const t of tokens) {
          const m = BYTE_TOKEN.exec(t);
          if (m) bytes.push(parseInt(m[1]!, 16));
          else {
            flush();
            out.push(t);
          }
        }
        flush();
        return out;
      };
    case 'WordPiece': {
      const prefix = typeof d.prefix === 'string' ? d.prefix : '##';
      return (tokens) =>
        tokens.map((t, i) => (i > 0 && t.startsWith(prefix) ? t.slice(prefix.length) : i > 0 ? ' ' + t : t));
    }
    case 'Sequence': {
      if (!Array.isArray(d.decoders)) invalidComponent(source, 'Sequence decoder needs "decoders"');
      const parts = d.decoders.map((c) => buildDecoder(c, source)).filter((f) => f !== undefined);
      return (tokens) => parts.reduce((acc, f) => f(acc), tokens);
    }
    default:
      return unknownComponent(source, 'decoder', d);
  }
}
