/** Node entry of `@flan-ts/hub`: local directories, URLs and hub ids (with the disk cache). */
import { dirname } from 'node:path';
import { loadAnyCheckpoint, loadCheckpoint, type NodeLoadCheckpointOptions } from '@flan-ts/models/node';
import { assembleAny, type PretrainedModel } from './model';
import { assemble, type Pretrained, type PretrainedOptions } from './pretrained';

export type { Pretrained, PretrainedOptions } from './pretrained';
export type { PretrainedCausal, PretrainedModel } from './model';

/** A T5 checkpoint's tokenizer: its local directory (with its config), or the file's URL. */
async function t5Tokenizer(files: { spieceModel?: string; tokenizerJson?: string }) {
  const file = files.spieceModel ?? files.tokenizerJson;
  if (file === undefined) return undefined;
  if (/^https?:/.test(file)) {
    const { Tokenizer } = await import('@flan-ts/tokenizer');
    return Tokenizer.fromUrl(file);
  }
  const { loadTokenizerDirectory } = await import('@flan-ts/tokenizer/node');
  return loadTokenizerDirectory(dirname(file));
}

/** {@link loadPretrained} of the root entry, plus local model directories and the hub's disk cache. */
export async function loadPretrained(
  source: string | URL,
  options: NodeLoadCheckpointOptions & PretrainedOptions = {},
): Promise<Pretrained> {
  const { config, ...loadOptions } = options;
  const checkpoint = await loadCheckpoint(source, loadOptions);
  return assemble(String(source), checkpoint, t5Tokenizer, { config });
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
      t5: t5Tokenizer,
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
