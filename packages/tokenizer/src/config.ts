/**
 * `tokenizer_config.json`, the transformers side of a tokenizer: the special-token names, the chat
 * template(s), `model_max_length` and the bos/eos flags. Browser-safe: it reads parsed JSON only.
 */
import { TokenizerError } from './errors';

/** What this library uses of `tokenizer_config.json`; `raw` keeps the whole object. */
export interface TokenizerConfig {
  bosToken?: string;
  eosToken?: string;
  padToken?: string;
  unkToken?: string;
  sepToken?: string;
  clsToken?: string;
  maskToken?: string;
  additionalSpecialTokens: string[];
  /** The default template, or every named one (`{name: template}`) when the file lists several. */
  chatTemplate?: string | Record<string, string>;
  /** Undefined when unset or the huge "no limit" sentinel transformers writes (1e30). */
  modelMaxLength?: number;
  addBosToken?: boolean;
  addEosToken?: boolean;
  cleanUpTokenizationSpaces?: boolean;
  tokenizerClass?: string;
  raw: Record<string, unknown>;
}

/** A token named in the config: a string or an AddedToken object `{content, ...}`. */
function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string')
    return (value as { content: string }).content;
  return undefined;
}

/** Reads a parsed `tokenizer_config.json`. */
export function parseTokenizerConfig(
  raw: Record<string, unknown>,
  source = 'tokenizer_config.json',
): TokenizerConfig {
  const config: TokenizerConfig = { additionalSpecialTokens: [], raw };
  const names = ['bos', 'eos', 'pad', 'unk', 'sep', 'cls', 'mask'] as const;
  for (const name of names) {
    const text = tokenText(raw[`${name}_token`]);
    if (text !== undefined) config[`${name}Token`] = text;
  }
  if (Array.isArray(raw.additional_special_tokens))
    config.additionalSpecialTokens = raw.additional_special_tokens
      .map(tokenText)
      .filter((t): t is string => t !== undefined);
  const template = raw.chat_template;
  if (typeof template === 'string') config.chatTemplate = template;
  else if (Array.isArray(template)) {
    // transformers' list form: [{name, template}, ...].
    const named: Record<string, string> = {};
    for (const [i, entry] of template.entries()) {
      const e = entry as { name?: unknown; template?: unknown };
      if (typeof e?.name !== 'string' || typeof e.template !== 'string')
        throw new TokenizerError(
          'INVALID_MODEL',
          `${source}: chat_template[${i}] needs "name" and "template"`,
        );
      named[e.name] = e.template;
    }
    config.chatTemplate = named;
  } else if (template !== undefined && template !== null) {
    throw new TokenizerError('INVALID_MODEL', `${source}: "chat_template" must be a string or a list`);
  }
  if (typeof raw.model_max_length === 'number' && raw.model_max_length < 1e9)
    config.modelMaxLength = raw.model_max_length;
  if (typeof raw.add_bos_token === 'boolean') config.addBosToken = raw.add_bos_token;
  if (typeof raw.add_eos_token === 'boolean') config.addEosToken = raw.add_eos_token;
  if (typeof raw.clean_up_tokenization_spaces === 'boolean')
    config.cleanUpTokenizationSpaces = raw.clean_up_tokenization_spaces;
  if (typeof raw.tokenizer_class === 'string') config.tokenizerClass = raw.tokenizer_class;
  return config;
}

/**
 * The special-token variables transformers passes to a chat template (`special_tokens_map`): only
 * the tokens that are set, plus `additional_special_tokens`.
 */
export function specialTokensMap(config: TokenizerConfig): Record<string, string | string[]> {
  const map: Record<string, string | string[]> = {};
  if (config.bosToken !== undefined) map.bos_token = config.bosToken;
  if (config.eosToken !== undefined) map.eos_token = config.eosToken;
  if (config.unkToken !== undefined) map.unk_token = config.unkToken;
  if (config.sepToken !== undefined) map.sep_token = config.sepToken;
  if (config.padToken !== undefined) map.pad_token = config.padToken;
  if (config.clsToken !== undefined) map.cls_token = config.clsToken;
  if (config.maskToken !== undefined) map.mask_token = config.maskToken;
  if (config.additionalSpecialTokens.length > 0)
    map.additional_special_tokens = config.additionalSpecialTokens;
  return map;
}
