/**
 * `flan tokenize`: text lines to id arrays (or JSONL records to records with ids, pieces and the
 * decoded text), and with `--decode` id arrays back to text. A byte-level BPE `tokenizer.json`
 * (Qwen3, Llama 3, GPT-2) runs the Hugging Face pipeline; SentencePiece models keep T5 semantics.
 * Thin wiring over @flan-ts/tokenizer.
 */
import type { Command } from 'commander';
import type { TextTokenizer, Tokenizer } from '@flan-ts/tokenizer';
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
      'Tokenize text lines into JSON id arrays (the tokenizer post-processor, or T5 semantics for SentencePiece)',
    )
    .requiredOption('--tokenizer <path>', 'SentencePiece .model, tokenizer.json, or a model directory')
    .option(
      '--plain',
      'SentencePiece alone: no </s> appended, no special-token matching (SentencePiece only)',
    )
    .option(
      '--jsonl',
      'input lines are JSON objects: read "text" (or "ids" with --decode), add ids, pieces, decoded',
    )
    .option('--decode', 'turn JSON id arrays back into text')
    .option(
      '--skip-special-tokens',
      'with --decode, drop special tokens (</s>, <pad>, sentinels, <|im_end|>...)',
    )
    .action(async (options: TokenizeOptions) => {
      const { loadTokenizer, loadAutoTokenizer, HfTokenizer, TokenizerError } =
        await import('@flan-ts/tokenizer/node');
      let tokenizer: TextTokenizer;
      let sentencePiece: Tokenizer['sentencePiece'] | undefined;
      try {
        const auto = await loadAutoTokenizer(options.tokenizer);
        if (auto instanceof HfTokenizer) tokenizer = auto;
        else {
          // SentencePiece keeps its own loader, which reads T5's extra_ids and special tokens.
          const t5 = await loadTokenizer(options.tokenizer);
          tokenizer = t5;
          sentencePiece = t5.sentencePiece;
        }
      } catch (error) {
        if (error instanceof TokenizerError) throw new CliError(`cannot load tokenizer: ${error.message}`);
        throw error;
      }
      if (options.plain && !sentencePiece)
        throw new CliError('--plain needs a SentencePiece tokenizer; this tokenizer.json is a BPE pipeline');
      const sp = sentencePiece!;
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
