/**
 * `flan tokenize`: text lines to id arrays (or JSONL records to records with ids, pieces and the
 * decoded text), and with `--decode` id arrays back to text. Thin wiring over @flan-ts/tokenizer.
 */
import type { Command } from 'commander';
import type { Tokenizer } from '@flan-ts/tokenizer';
import {
  CliError,
  InvalidLineError,
  field,
  jsonLine,
  parseJsonObject,
  runLines,
  lineInputOptions,
} from '../io';

interface TokenizeOptions {
  tokenizer: string;
  input?: string;
  plain?: boolean;
  jsonl?: boolean;
  decode?: boolean;
  skipSpecialTokens?: boolean;
  skipInvalid?: boolean;
}

function parseIds(value: unknown, what: string): number[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'number' && Number.isInteger(v))) {
    throw new InvalidLineError(`${what} must be a JSON array of integer ids`);
  }
  return value as number[];
}

export function registerTokenize(program: Command): void {
  lineInputOptions(program.command('tokenize'))
    .description(
      'Tokenize text lines into JSON id arrays (T5 semantics: </s> appended, special tokens matched)',
    )
    .requiredOption('--tokenizer <path>', 'SentencePiece .model, tokenizer.json, or a model directory')
    .option('--plain', 'SentencePiece alone: no </s> appended, no special-token matching')
    .option(
      '--jsonl',
      'input lines are JSON objects: read "text" (or "ids" with --decode), add ids, pieces, decoded',
    )
    .option('--decode', 'turn JSON id arrays back into text')
    .option('--skip-special-tokens', 'with --decode, drop </s>, <pad> and sentinels from the text')
    .action(async (options: TokenizeOptions) => {
      const { loadTokenizer, TokenizerError } = await import('@flan-ts/tokenizer/node');
      let tokenizer: Tokenizer;
      try {
        tokenizer = await loadTokenizer(options.tokenizer);
      } catch (error) {
        if (error instanceof TokenizerError) throw new CliError(`cannot load tokenizer: ${error.message}`);
        throw error;
      }
      const sp = tokenizer.sentencePiece;
      const encode = (text: string): { ids: number[]; pieces: string[] } => {
        if (options.plain) return sp.encode(text);
        const e = tokenizer.encode(text);
        return { ids: Array.from(e.ids), pieces: e.pieces };
      };
      const decode = (ids: number[]): string =>
        options.plain
          ? sp.decode(ids)
          : tokenizer.decode(ids, { skipSpecialTokens: options.skipSpecialTokens === true });

      await runLines({
        input: options.input,
        skipInvalid: options.skipInvalid,
        handle: (line) => {
          if (options.decode) {
            if (options.jsonl) {
              const record = parseJsonObject(line);
              const ids = parseIds(record.ids, 'field "ids"');
              return jsonLine({ ...record, decoded: decode(ids) });
            }
            let value: unknown;
            try {
              value = JSON.parse(line.text);
            } catch (error) {
              throw new InvalidLineError(`invalid JSON: ${(error as Error).message}`);
            }
            return decode(parseIds(value, 'the line'));
          }
          if (options.jsonl) {
            const record = parseJsonObject(line);
            const text = field<string>(record, 'text', 'string');
            const { ids, pieces } = encode(text);
            return jsonLine({ ...record, ids, pieces, decoded: decode(ids) });
          }
          return JSON.stringify(encode(line.text).ids);
        },
      });
    });
}
