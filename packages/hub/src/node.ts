/** Node entry of `@flan-ts/hub`: local directories, URLs and hub ids (with the disk cache). */
import { dirname } from 'node:path';
import { loadCheckpoint, type NodeLoadCheckpointOptions } from '@flan-ts/models/node';
import { assemble, type Pretrained, type PretrainedOptions } from './pretrained';

export type { Pretrained, PretrainedOptions } from './pretrained';

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
