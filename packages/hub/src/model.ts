/**
 * "Model + tokenizer from one id" for every architecture: `config.json`'s `model_type` picks T5
 * (with its SentencePiece tokenizer, as `loadPretrained`) or a decoder-only model (Llama, Qwen3, …,
 * with its `tokenizer.json`). The result is a union told apart by `architecture`.
 */
import type { AnyLoadedCheckpoint, CausalLMModel, LoadedCausalCheckpoint } from '@flan-ts/models';
import type { TextTokenizer } from '@flan-ts/tokenizer';
import { assemble, type Pretrained, type PretrainedOptions } from './pretrained';

export interface PretrainedCausal {
  architecture: 'causal';
  model: CausalLMModel;
  /** The checkpoint's tokenizer (`tokenizer.json`); undefined when it ships none (see `tokenizerProblem`). */
  tokenizer: TextTokenizer | undefined;
  tokenizerProblem: string | undefined;
  generationConfig: LoadedCausalCheckpoint['generationConfig'];
  files: LoadedCausalCheckpoint['files'];
  dispose(): void;
}

export type PretrainedModel = ({ architecture: 't5' } & Pretrained) | PretrainedCausal;

type T5Checkpoint = Extract<AnyLoadedCheckpoint, { architecture: 't5' }>;

/** The model of either family and its tokenizer, each tokenizer kind loaded by the given function. */
export async function assembleAny(
  source: string,
  checkpoint: AnyLoadedCheckpoint,
  loaders: {
    t5: (files: T5Checkpoint['files']['tokenizer']) => ReturnType<Parameters<typeof assemble>[2]>;
    causal: (files: LoadedCausalCheckpoint['files']['tokenizer']) => Promise<TextTokenizer | undefined>;
  },
  options: PretrainedOptions = {},
): Promise<PretrainedModel> {
  if (checkpoint.architecture === 't5') {
    return { architecture: 't5', ...(await assemble(source, checkpoint, loaders.t5, options)) };
  }
  const { causalFromCheckpoint } = await import('@flan-ts/models');
  // The eos ids of generation_config.json, as HF's generate uses them.
  const model = causalFromCheckpoint(checkpoint);
  checkpoint.tensors.clear();
  let tokenizer: TextTokenizer | undefined;
  try {
    tokenizer = await loaders.causal(checkpoint.files.tokenizer);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return {
    architecture: 'causal',
    model,
    tokenizer,
    tokenizerProblem:
      tokenizer === undefined ? `the checkpoint ${source} has no tokenizer (tokenizer.json)` : undefined,
    generationConfig: checkpoint.generationConfig,
    files: checkpoint.files,
    dispose: () => model.dispose(),
  };
}
