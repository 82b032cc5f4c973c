/**
 * Example sources: where tokenized examples come from. Each is a deterministic iterator with a position
 * that is plain JSON (`state()`); a source created from a saved state continues with the next example,
 * neither replaying nor skipping one. Browser-safe: sources take text, bytes or streams (files are read by
 * `@flan-ts/train/node`).
 */
import { encoderDecoderEncoder, type ExampleEncoder } from './encoders';
import { DataError } from './errors';
import type { Example } from './example';
import { idRecord, messagesRecord, parseJsonLine, textRecord } from './jsonl';
import { readLines, type Line, type TextInput } from './lines';

/**
 * What tokenizing needs: `@flan-ts/tokenizer`'s `Tokenizer` satisfies it (its `encode` returns `{ ids }`
 * with `</s>` appended); a plain function returning ids works too.
 */
export interface ExampleTokenizer {
  encode(text: string): ArrayLike<number> | { readonly ids: ArrayLike<number> };
  readonly eosId: number;
}

/** A source's position. */
export type SourceState =
  | { kind: 'mixture'; sampler: unknown }
  | { kind: 'jsonl'; source: string; epoch: number; line: number }
  | {
      kind: 'shuffle';
      seed: number;
      inner: SourceState;
      buffer: Example[];
      rng: [number, number, number, number];
      exhausted: boolean;
    };

/** A resumable stream of examples. */
export interface ExampleSource {
  /** A name for errors and logs (a file path, a mixture name). */
  readonly name: string;
  /** The next example; `undefined` once a finite source is exhausted. */
  next(): Promise<Example | undefined>;
  /** The position after the last example returned, as JSON. */
  state(): SourceState;
  /** Releases an open file or stream. */
  close(): Promise<void>;
}

/** Token ids of a text with eos appended (once: a tokenizer that appends it already is not doubled, as T5Tokenizer). */
export function tokenizeText(text: string, tokenizer: ExampleTokenizer): number[] {
  const encoded = tokenizer.encode(text);
  const ids = Array.from('ids' in encoded ? encoded.ids : encoded);
  if (ids[ids.length - 1] !== tokenizer.eosId) ids.push(tokenizer.eosId);
  return ids;
}

/** An encoder, or a T5 tokenizer (inputs and targets each with eos). */
export type TextToExample = ExampleEncoder | ExampleTokenizer;

function encoderOf(x: TextToExample): ExampleEncoder {
  return typeof (x as ExampleEncoder).text === 'function'
    ? (x as ExampleEncoder)
    : encoderDecoderEncoder(x as ExampleTokenizer);
}

/** The sampler surface a mixture source needs (`MixtureSampler` of `@flan-ts/templates`). */
export interface TextExampleSampler {
  next(): Promise<{ inputs: string; targets: string }>;
  state(): unknown;
  close?(): Promise<void>;
}

/**
 * Examples drawn from a mixture sampler and tokenized. The position is the sampler's own state: to resume,
 * create the sampler from `state().sampler` (`new MixtureSampler(mixture, { state })`) and pass it here.
 * Endless, as the sampler is.
 */
export function mixtureExamples(
  sampler: TextExampleSampler,
  tokenizer: TextToExample,
  name = 'mixture',
): ExampleSource {
  const encoder = encoderOf(tokenizer);
  return {
    name,
    async next() {
      const drawn = await sampler.next();
      return encoder.text(drawn.inputs, drawn.targets);
    },
    state: () => ({ kind: 'mixture', sampler: sampler.state() }),
    close: async () => {
      await sampler.close?.();
    },
  };
}

/** Options of the JSONL sources. */
export interface JsonlSourceOptions {
  /** Name in errors (a file path). Default `<jsonl>`. */
  name?: string;
  /** Passes over the data; `Infinity` repeats forever (needs `input` to be a function). Default 1. */
  epochs?: number;
  /** Resume from a saved {@link ExampleSource.state}. */
  state?: SourceState;
  /**
   * `false` (default): a bad line (invalid UTF-8, bad JSON, missing or mistyped fields) throws a
   * {@link DataError}. `true`: it is skipped and passed to `onInvalid` — never dropped silently.
   */
  skipInvalid?: boolean;
  /** Called for every skipped line (with `skipInvalid`). */
  onInvalid?: (error: DataError) => void;
}

/** Text or bytes, or a function that opens them (needed for more than one epoch or for resuming a stream). */
export type JsonlInput = TextInput | (() => TextInput);

function jsonlSource(
  input: JsonlInput,
  options: JsonlSourceOptions,
  toExample: (record: Record<string, unknown>, line: number) => Example,
): ExampleSource {
  const name = options.name ?? '<jsonl>';
  const epochs = options.epochs ?? 1;
  if (!(epochs >= 1)) throw new RangeError(`epochs must be >= 1, got ${epochs}`);
  const start = options.state;
  if (start !== undefined && (start.kind !== 'jsonl' || start.source !== name)) {
    throw new DataError(name, 0, `cannot resume from a state of another source (${JSON.stringify(start)})`);
  }
  let epoch = start?.epoch ?? 0;
  let lastLine = start?.line ?? 0;
  let opened = false;
  let lines: AsyncIterator<Line> | undefined;
  // A resumed epoch already had examples before the save point.
  let examplesThisEpoch = lastLine > 0 ? 1 : 0;
  const open = (): AsyncIterator<Line> => {
    if (typeof input !== 'function' && opened) {
      throw new DataError(name, 0, 'the input can be read once only; pass a function that opens it again');
    }
    opened = true;
    const text = typeof input === 'function' ? input() : input;
    return readLines(text, name, { lenient: options.skipInvalid === true })[Symbol.asyncIterator]();
  };
  return {
    name,
    async next() {
      while (epoch < epochs) {
        lines ??= open();
        const step = await lines.next();
        if (step.done) {
          lines = undefined;
          if (examplesThisEpoch === 0) throw new DataError(name, 0, 'has no examples');
          epoch++;
          lastLine = 0;
          examplesThisEpoch = 0;
          continue;
        }
        // Resuming: lines up to the saved one were consumed before the save (not parsed again).
        if (step.value.line <= lastLine) continue;
        lastLine = step.value.line;
        try {
          if (step.value.error) throw step.value.error;
          const record = parseJsonLine(step.value, name);
          if (record === undefined) continue;
          const example = toExample(record, step.value.line);
          examplesThisEpoch++;
          return example;
        } catch (error) {
          if (!(options.skipInvalid && error instanceof DataError)) throw error;
          options.onInvalid?.(error);
        }
      }
      return undefined;
    },
    state: () => ({ kind: 'jsonl', source: name, epoch, line: lastLine }),
    async close() {
      await lines?.return?.();
      lines = undefined;
    },
  };
}

/**
 * Examples from JSONL of `{inputs, targets}` texts, tokenized by the encoder (a T5 tokenizer: each
 * with eos appended); with an encoder that takes conversations, `{messages}` lines too.
 */
export function textJsonlExamples(
  input: JsonlInput,
  tokenizer: TextToExample,
  options: JsonlSourceOptions = {},
): ExampleSource {
  const name = options.name ?? '<jsonl>';
  const encoder = encoderOf(tokenizer);
  return jsonlSource(input, options, (value, line) => {
    if ('messages' in value) {
      if (encoder.conversation === undefined)
        throw new DataError(
          name,
          line,
          'a {messages} line needs a chat template (flan train --chat-template)',
        );
      try {
        return encoder.conversation(messagesRecord(value, name, line));
      } catch (error) {
        if (error instanceof DataError) throw error;
        throw new DataError(name, line, (error as Error).message);
      }
    }
    const record = textRecord(value, name, line);
    return encoder.text(record.inputs, record.targets);
  });
}

/** Examples from JSONL of `{input_ids, target_ids}`: ids used as given, no eos added. */
export function idJsonlExamples(
  input: JsonlInput,
  options: JsonlSourceOptions & { vocabSize?: number } = {},
): ExampleSource {
  const name = options.name ?? '<jsonl>';
  return jsonlSource(input, options, (value, line) => {
    const record = idRecord(value, name, line, options.vocabSize);
    if (record.input_ids.length === 0 || record.target_ids.length === 0)
      throw new DataError(name, line, 'input_ids and target_ids must not be empty');
    return { inputs: [...record.input_ids], targets: [...record.target_ids] };
  });
}
