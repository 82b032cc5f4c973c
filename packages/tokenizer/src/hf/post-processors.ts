/**
 * `tokenizer.json` post-processors for a single sequence: which ids (and token strings) surround
 * the encoded text when special tokens are added. ByteLevel only adjusts offsets, so it adds nothing.
 */
import type { Json } from './types';
import { invalidComponent, isObject, unknownComponent } from './types';

export interface Encoded {
  ids: number[];
  tokens: string[];
}

/** Returns the final ids and tokens for one sequence. */
export type PostProcessor = (encoded: Encoded) => Encoded;

function pair(value: unknown, source: string, where: string): [string, number] {
  if (!Array.isArray(value) || typeof value[0] !== 'string' || typeof value[1] !== 'number')
    invalidComponent(source, `${where} must be [token, id]`);
  return [value[0], value[1]];
}

export function buildPostProcessor(spec: unknown, source: string): PostProcessor | undefined {
  if (spec === null || spec === undefined) return undefined;
  if (!isObject(spec)) return unknownComponent(source, 'post_processor', spec);
  const p: Json = spec;
  switch (p.type) {
    case 'ByteLevel':
      return (e) => e;
    case 'RobertaProcessing':
    case 'BertProcessing': {
      const [cls, clsId] = pair(p.cls, source, `${p.type}.cls`);
      const [sep, sepId] = pair(p.sep, source, `${p.type}.sep`);
      return (e) => ({ ids: [clsId, ...e.ids, sepId], tokens: [cls, ...e.tokens, sep] });
    }
    case 'TemplateProcessing': {
      if (!Array.isArray(p.single)) invalidComponent(source, 'TemplateProcessing needs "single"');
      const specials = isObject(p.special_tokens) ? p.special_tokens : {};
      const items = p.single.map((item: unknown, i) => {
        if (isObject(item) && isObject(item.Sequence)) return 'sequence' as const;
        if (isObject(item) && isObject(item.SpecialToken) && typeof item.SpecialToken.id === 'string') {
          const name = item.SpecialToken.id;
          const entry = specials[name];
          if (!isObject(entry) || !Array.isArray(entry.ids) || !Array.isArray(entry.tokens))
            invalidComponent(source, `TemplateProcessing special token "${name}" is not in "special_tokens"`);
          return { ids: entry.ids as number[], tokens: entry.tokens as string[] };
        }
        return invalidComponent(
          source,
          `TemplateProcessing single[${i}] must be a Sequence or a SpecialToken`,
        );
      });
      return (e) => {
        const ids: number[] = [];
        const tokens: string[] = [];
        for (const item of items) {
          const part = item === 'sequence' ? e : item;
          ids.push(...part.ids);
          tokens.push(...part.tokens);
        }
        return { ids, tokens };
      };
    }
    case 'Sequence': {
      if (!Array.isArray(p.processors))
        invalidComponent(source, 'Sequence post_processor needs "processors"');
      const parts = p.processors.map((c) => buildPostProcessor(c, source)).filter((f) => f !== undefined);
      return (e) => parts.reduce((acc, f) => f(acc), e);
    }
    default:
      return unknownComponent(source, 'post_processor', p);
  }
}
