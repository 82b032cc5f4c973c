/**
 * `tokenizer_config.json`'s `add_bos_token` / `add_eos_token`, applied as transformers applies them.
 *
 * - The Llama-family classes (`LlamaTokenizerFast`, `CodeLlamaTokenizerFast`, `GemmaTokenizerFast`,
 *   and their slow names) always replace the `tokenizer.json` post-processor with a
 *   `TemplateProcessing` built from the flags (`update_post_processor`; defaults bos on, eos off).
 * - Any other class (`PreTrainedTokenizerFast`, `Qwen2Tokenizer`, ...) keeps its post-processor, and a
 *   flag set to true adds the token where that post-processor does not already put it (checked once,
 *   on an empty sequence), so a Llama 3 file whose template already starts with `<|begin_of_text|>`
 *   does not get it twice.
 */
import type { TokenizerConfig } from '../config';
import { TokenizerError } from '../errors';
import type { Encoded, PostProcessor } from './post-processors';

const REBUILDING_CLASSES = new Set([
  'LlamaTokenizer',
  'LlamaTokenizerFast',
  'CodeLlamaTokenizer',
  'CodeLlamaTokenizerFast',
  'GemmaTokenizer',
  'GemmaTokenizerFast',
]);

interface Marker {
  id: number;
  token: string;
}

function marker(
  flag: 'add_bos_token' | 'add_eos_token',
  token: string | undefined,
  tokenToId: (token: string) => number | undefined,
  source: string,
): Marker {
  const name = flag === 'add_bos_token' ? 'bos_token' : 'eos_token';
  if (token === undefined)
    throw new TokenizerError('INVALID_MODEL', `${source}: ${flag} is true but ${name} is not set`);
  const id = tokenToId(token);
  if (id === undefined)
    throw new TokenizerError('INVALID_MODEL', `${source}: ${name} "${token}" is not in the vocabulary`);
  return { id, token };
}

function surround(bos: Marker | undefined, eos: Marker | undefined): PostProcessor {
  return (e: Encoded) => ({
    ids: [...(bos ? [bos.id] : []), ...e.ids, ...(eos ? [eos.id] : [])],
    tokens: [...(bos ? [bos.token] : []), ...e.tokens, ...(eos ? [eos.token] : [])],
  });
}

/**
 * The post-processor to use for a `tokenizer.json` post-processor `original` under `config`'s flags.
 * `source` names the config in errors (a flag that needs a token the config does not name).
 */
export function applyBosEosFlags(
  original: PostProcessor | undefined,
  config: TokenizerConfig,
  tokenToId: (token: string) => number | undefined,
  source: string,
): PostProcessor | undefined {
  const rebuild = config.tokenizerClass !== undefined && REBUILDING_CLASSES.has(config.tokenizerClass);
  const addBos = config.addBosToken ?? (rebuild ? true : false);
  const addEos = config.addEosToken ?? false;
  const bos = addBos ? marker('add_bos_token', config.bosToken, tokenToId, source) : undefined;
  const eos = addEos ? marker('add_eos_token', config.eosToken, tokenToId, source) : undefined;
  if (rebuild) return bos || eos ? surround(bos, eos) : undefined;
  if (!bos && !eos) return original;
  const probe = original ? original({ ids: [], tokens: [] }).ids : [];
  const missingBos = bos && probe[0] !== bos.id ? bos : undefined;
  const missingEos = eos && probe[probe.length - 1] !== eos.id ? eos : undefined;
  if (!missingBos && !missingEos) return original;
  const add = surround(missingBos, missingEos);
  return original ? (e) => add(original(e)) : add;
}
