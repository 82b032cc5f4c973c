/**
 * The model and its tokenizer must agree before any example runs: ids the tokenizer produces must
 * have embedding rows, and both must mean the same ids by eos (where generation stops) and pad.
 */
import { EvalError } from '../errors';

/** What {@link checkModelTokenizer} reads of a model (a `Seq2SeqLM` has it). */
export interface ModelVocabulary {
  readonly vocabSize: number;
  readonly eosTokenId: number;
  readonly padTokenId: number;
}

/** What it reads of a tokenizer (a `@flan-ts/tokenizer` `Tokenizer` has it). */
export interface TokenizerVocabulary {
  readonly vocabSize: number;
  readonly eosId?: number;
  readonly padId?: number;
}

/** Throws an {@link EvalError} (option `model`) naming the first disagreement. */
export function checkModelTokenizer(model: ModelVocabulary, tokenizer: TokenizerVocabulary): void {
  if (tokenizer.vocabSize > model.vocabSize)
    throw new EvalError(
      `the tokenizer has ${tokenizer.vocabSize} ids but the model's embedding has ${model.vocabSize} rows: not this model's tokenizer`,
      'model',
    );
  for (const [name, ours, theirs] of [
    ['eos', tokenizer.eosId, model.eosTokenId],
    ['pad', tokenizer.padId, model.padTokenId],
  ] as const)
    if (ours !== undefined && ours >= 0 && ours !== theirs)
      throw new EvalError(
        `the tokenizer's ${name} id is ${ours} but the model's config says ${name}_token_id ${theirs}`,
        'model',
      );
}
