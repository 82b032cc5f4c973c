/**
 * `@flan-ts/hub`: a pretrained T5 and its tokenizer from a Hugging Face hub repo id or a directory
 * URL in one call (browser-safe; local directories and the disk cache are in `@flan-ts/hub/node`).
 */
import { loadAnyCheckpoint, loadCheckpoint, type LoadCheckpointOptions } from '@flan-ts/models';
import { assembleAny, type PretrainedModel } from './model';
import { assemble, type Pretrained, type PretrainedOptions } from './pretrained';

export type { Pretrained, PretrainedOptions } from './pretrained';
export type { PretrainedCausal, PretrainedModel } from './model';

/** A T5 checkpoint's tokenizer by URL (read over HTTP, its defaults are T5's: 100 sentinels). */
async function t5Tokenizer(files: { spieceModel?: string; tokenizerJson?: string }) {
  const url = files.spieceModel ?? files.tokenizerJson;
  if (url === undefined) return undefined;
  const { Tokenizer } = await import('@flan-ts/tokenizer');
  return Tokenizer.fromUrl(url);
}

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
  return assemble(String(source), checkpoint, t5Tokenizer, { config });
}

/**
 * Loads a checkpoint of any supported architecture (T5, or decoder-only: Llama, Qwen3, Mistral,
 * Qwen2, picked from `config.json`) and its tokenizer, by directory URL or hub id.
 *
 * @example
 * ```ts
 * const loaded = await loadPretrainedModel('HuggingFaceTB/SmolLM2-135M');
 * if (loaded.architecture === 'causal') console.log(loaded.model.config.numLayers);
 * ```
 */
export async function loadPretrainedModel(
  source: string | URL,
  options: LoadCheckpointOptions & PretrainedOptions = {},
): Promise<PretrainedModel> {
  const { config, ...loadOptions } = options;
  const checkpoint = await loadAnyCheckpoint(source, loadOptions);
  return assembleAny(
    String(source),
    checkpoint,
    {
      t5: t5Tokenizer,
      causal: async (files) => {
        if (files.tokenizerJson === undefined) return undefined;
        const { parseTokenizerConfig, tokenizerFromBytes } = await import('@flan-ts/tokenizer');
        const bytes = async (url: string) => new Uint8Array(await (await fetch(url)).arrayBuffer());
        const tokenizerConfig =
          files.tokenizerConfig === undefined
            ? undefined
            : parseTokenizerConfig(JSON.parse(new TextDecoder().decode(await bytes(files.tokenizerConfig))));
        return tokenizerFromBytes(await bytes(files.tokenizerJson), {
          source: files.tokenizerJson,
          ...(tokenizerConfig ? { config: tokenizerConfig } : {}),
        });
      },
    },
    { config },
  );
}
