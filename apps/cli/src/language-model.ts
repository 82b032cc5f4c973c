/**
 * What `flan generate`, `flan score` and `flan eval run` share: a checkpoint (directory, URL or hub
 * id) loaded on a backend together with its tokenizer, and the prompt/target ids of a JSONL record.
 * `loadLanguageModel` picks T5 or a decoder-only model from config.json.
 */
import type { CausalLMModel, T5Model } from '@flan-ts/models';
import type { TextTokenizer, Tokenizer } from '@flan-ts/tokenizer';
import type { Command } from 'commander';
import { backendFlag, type Backend } from './flags';
import { CliError, InvalidLineError } from './io';

/** Adds `--model` (directory, URL or hub id) and `--backend` (wasm by default). */
export function modelOptions(command: Command): Command {
  return command
    .requiredOption(
      '--model <dir|hub id|url>',
      'Hugging Face checkpoint (T5, or Llama/Qwen3/Mistral/Qwen2; picked from config.json): a directory, a URL or a hub repo id',
    )
    .option('--backend <name>', 'tfjs backend: wasm, cpu or webgpu', backendFlag, 'wasm' as Backend)
    .option(
      '--adapter <dir>',
      'a LoRA adapter in PEFT layout (adapter_config.json + adapter_model.safetensors)',
    );
}

/** Flags every model command has: those of {@link modelOptions} and `lineInputOptions`, `--jsonl`, `--batch-size`. */
export interface ModelCommandFlags {
  model: string;
  backend: Backend;
  adapter?: string;
  input?: string;
  skipInvalid?: boolean;
  jsonl?: boolean;
  batchSize: number;
}

/** A model of either family with its tokenizer, told apart by `architecture`. */
export type LoadedLanguageModel = (
  | { architecture: 't5'; model: T5Model; tokenizer: Tokenizer | undefined }
  | { architecture: 'causal'; model: CausalLMModel; tokenizer: TextTokenizer | undefined }
) & {
  tokenizerProblem: string | undefined;
  close(): Promise<void>;
};

/** What encoding a record needs: the vocabulary and, for text fields, a tokenizer. */
export interface RecordEncoder {
  model: { vocabSize: number };
  tokenizer: { encode(text: string): { ids: ArrayLike<number> } } | undefined;
  tokenizerProblem: string | undefined;
}

/**
 * Initialises the backend, then loads T5 or a decoder-only model, whichever the checkpoint's
 * `config.json` describes, with its tokenizer and an optional PEFT LoRA adapter.
 */
export async function loadLanguageModel(
  source: string,
  backend: Backend,
  adapter?: string,
): Promise<LoadedLanguageModel> {
  const models = await import('@flan-ts/models/node');
  const tf = await import('@tensorflow/tfjs-core');
  tf.env().set('PROD', true);
  await models.initNodeBackend(backend);
  const { loadPretrainedModel } = await import('@flan-ts/hub/node');
  const loaded = await loadPretrainedModel(source);
  let lora: { dispose(): void } | undefined;
  if (adapter !== undefined) {
    const { loadLoraAdapter } = await import('@flan-ts/train/node');
    try {
      lora = await loadLoraAdapter(loaded.model, adapter);
    } catch (error) {
      loaded.dispose();
      throw new CliError(`--adapter: ${(error as Error).message}`);
    }
  }
  const close = async () => {
    lora?.dispose();
    loaded.dispose();
    if (backend === 'webgpu') await models.releaseWebGpu();
  };
  return loaded.architecture === 't5'
    ? {
        architecture: 't5',
        model: loaded.model,
        tokenizer: loaded.tokenizer,
        tokenizerProblem: loaded.tokenizerProblem,
        close,
      }
    : {
        architecture: 'causal',
        model: loaded.model,
        tokenizer: loaded.tokenizer,
        tokenizerProblem: loaded.tokenizerProblem,
        close,
      };
}

/** {@link loadLanguageModel}, runs `work` with it, and releases it (and the WebGPU device) whatever happens. */
export async function withLanguageModel(
  flags: Pick<ModelCommandFlags, 'model' | 'backend' | 'adapter'>,
  work: (loaded: LoadedLanguageModel) => Promise<void>,
): Promise<void> {
  const loaded = await loadLanguageModel(flags.model, flags.backend, flags.adapter);
  try {
    await work(loaded);
  } finally {
    await loaded.close();
  }
}

/** Prompt ids of a JSONL record: `input_ids` as given, or `inputs` through the tokenizer (T5: eos appended). */
export function recordInputIds(record: Record<string, unknown>, loaded: RecordEncoder): number[] {
  const hasIds = 'input_ids' in record;
  if (hasIds === 'inputs' in record)
    throw new InvalidLineError('give exactly one of "inputs" (text) and "input_ids" (ids)');
  if (hasIds) return tokenIds(record.input_ids, 'input_ids', loaded.model.vocabSize);
  if (typeof record.inputs !== 'string') throw new InvalidLineError('field "inputs" must be a string');
  return encodeText(record.inputs, loaded, 'inputs');
}

export function encodeText(text: string, loaded: RecordEncoder, fieldName: string): number[] {
  if (loaded.tokenizer === undefined)
    throw new InvalidLineError(`cannot encode "${fieldName}": ${loaded.tokenizerProblem}`);
  return Array.from(loaded.tokenizer.encode(text).ids);
}

/** Validates a list of token ids (non-empty, integers within the model's vocabulary). */
export function tokenIds(value: unknown, fieldName: string, vocabSize: number): number[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new InvalidLineError(`field "${fieldName}" must be a non-empty list of token ids`);
  value.forEach((id, i) => {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new InvalidLineError(
        `field "${fieldName}"[${i}] = ${JSON.stringify(id)} is not a token id in [0, ${vocabSize})`,
      );
    }
  });
  return value as number[];
}
