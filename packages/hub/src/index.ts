/**
 * `@flan-ts/hub`: a pretrained T5 and its tokenizer from a Hugging Face hub repo id or a directory
 * URL in one call (browser-safe; local directories and the disk cache are in `@flan-ts/hub/node`).
 */
import { loadCheckpoint, type LoadCheckpointOptions } from '@flan-ts/models';
import { assemble, type Pretrained, type PretrainedOptions } from './pretrained';

export type { Pretrained, PretrainedOptions } from './pretrained';

/**
 * Loads the checkpoint onto the current tfjs backend (initialise it first) and its tokenizer.
 *
 * @example
 * ```ts
 * const { model, tokenizer } = await loadPretrained('google/flan-t5-small');
 * ```
 */
export async function loadPretrained(
  source: string | URL,
  options: LoadCheckpointOptions & PretrainedOptions = {},
): Promise<Pretrained> {
  const { config, ...loadOptions } = options;
  const checkpoint = await loadCheckpoint(source, loadOptions);
  return assemble(
    String(source),
    checkpoint,
    async (files) => {
      const url = files.spieceModel ?? files.tokenizerJson;
      if (url === undefined) return undefined;
      const { Tokenizer } = await import('@flan-ts/tokenizer');
      // A checkpoint read over HTTP: the tokenizer's defaults are T5's (100 sentinels).
      return Tokenizer.fromUrl(url);
    },
    { config },
  );
}
