/**
 * "Model + tokenizer from one id": the checkpoint and the tokenizer files it ships, loaded through one
 * call, so the CLI, train, eval and the web app resolve a hub id, a URL or a directory the same way.
 */
import type { GenerationConfigJson, LoadedCheckpoint, T5Config, T5Model } from '@flan-ts/models';
import type { Tokenizer } from '@flan-ts/tokenizer';

export interface Pretrained {
  model: T5Model;
  /** The checkpoint's tokenizer; undefined when it ships none (see `tokenizerProblem`). */
  tokenizer: Tokenizer | undefined;
  /** Why there is no tokenizer, for errors where one is needed. */
  tokenizerProblem: string | undefined;
  /** `generation_config.json`, when the checkpoint has one. */
  generationConfig: GenerationConfigJson | undefined;
  /** Where each file came from (paths or URLs), e.g. to copy the tokenizer beside a finetuned model. */
  files: LoadedCheckpoint['files'];
  /** Frees the model. */
  dispose(): void;
}

export interface PretrainedOptions {
  /** Settings that replace the checkpoint config's, e.g. `{ dropoutRate: 0.05 }` for finetuning. */
  config?: Partial<Pick<T5Config, 'dropoutRate'>>;
}

/** The model of a loaded checkpoint plus a tokenizer made by `loadTokenizer` from its files. */
export async function assemble(
  source: string,
  checkpoint: LoadedCheckpoint,
  loadTokenizer: (files: LoadedCheckpoint['files']['tokenizer']) => Promise<Tokenizer | undefined>,
  options: PretrainedOptions = {},
): Promise<Pretrained> {
  const { T5Model } = await import('@flan-ts/models');
  const model = T5Model.fromTensors({ ...checkpoint.config, ...options.config }, checkpoint.tensors);
  checkpoint.tensors.clear();
  let tokenizer: Tokenizer | undefined;
  try {
    tokenizer = await loadTokenizer(checkpoint.files.tokenizer);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return {
    model,
    tokenizer,
    tokenizerProblem:
      tokenizer === undefined
        ? `the checkpoint ${source} has no tokenizer (spiece.model or tokenizer.json)`
        : undefined,
    generationConfig: checkpoint.generationConfig,
    files: checkpoint.files,
    dispose: () => model.dispose(),
  };
}
