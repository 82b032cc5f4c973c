/** Node entry of `@flan-ts/hub`: local directories, URLs and hub ids (with the disk cache). */
import { dirname } from 'node:path';
import { loadAnyCheckpoint, loadCheckpoint, type NodeLoadCheckpointOptions } from '@flan-ts/models/node';
import { assembleAny, type PretrainedModel } from './model';
import { assemble, type Pretrained, type PretrainedOptions } from './pretrained';

export type { Pretrained, PretrainedOptions } from './pretrained';
export type { PretrainedCausal, PretrainedModel } from './model';

/** {@link loadPretrained} of the root entry, plus local model directories and the hub's disk cache. */
export async function loadPretrained(
  source: string | URL,
  options: NodeLoadCheckpointOptions & PretrainedOptions = {},
): Promise<Pretrained> {
  const { config, ...loadOptions } = options;
  const checkpoint = await loadCheckpoint(source, loadOptions);
  return assemble(
    String(source),
    checkpoint,
    async (files) => {
      const file = files.spieceModel ?? files.tokenizerJson;
      if (file === undefined) return undefined;
      if (/^https?:/.test(file)) {
        const { Tokenizer } = await import('@flan-ts/tokenizer');
        return Tokenizer.fromUrl(file);
      }
      const { loadTokenizerDirectory } = await import('@flan-ts/tokenizer/node');
      return loadTokenizerDirectory(dirname(file));
    },
    { config },
  );
}

/**
 * {@link loadPretrainedModel} of the root entry, plus local model directories and the hub's disk
 * cache: T5 or a decoder-only model, whichever `config.json` describes, with its tokenizer.
 */
export async function loadPretrainedModel(
  source: string | URL,
  options: NodeLoadCheckpointOptions & PretrainedOptions = {},
): Promise<PretrainedModel> {
  const { config, ...loadOptions } = options;
  const checkpoint = await loadAnyCheckpoint(source, loadOptions);
  return assembleAny(
    String(source),
    checkpoint,
    {
      t5: async (files) => {
        const file = files.spieceModel ?? files.tokenizerJson;
        if (file === undefined) return undefined;
        if (/^https?:/.test(file)) {
          const { Tokenizer } = await import('@flan-ts/tokenizer');
          return Tokenizer.fromUrl(file);
        }
        const { loadTokenizerDirectory } = await import('@flan-ts/tokenizer/node');
        return loadTokenizerDirectory(dirname(file));
      },
      causal: async (files) => {
        const file = files.tokenizerJson;
        if (file === undefined) return undefined;
        const { loadAutoTokenizer } = await import('@flan-ts/tokenizer/node');
        return loadAutoTokenizer(/^https?:/.test(file) ? file : dirname(file));
      },
    },
    { config },
  );
}
