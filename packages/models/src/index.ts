// Checkpoints: Hugging Face T5 directories by URL or hub repo id (./node adds local paths, a disk cache and saving).
export { loadCheckpoint, type LoadCheckpointOptions } from './checkpoint/load-remote';
export type { LoadedCheckpoint, CheckpointFiles, GenerationConfigJson } from './checkpoint/load';
export type { DownloadProgress } from './checkpoint/store';
export { CheckpointError } from './checkpoint/errors';
export { expectedT5Tensors, type ExpectedTensor } from './t5/parameters';
export {
  parseSafetensors,
  readFloat32,
  serializeSafetensors,
  type NamedFloat32Tensor,
  type SafetensorsDType,
  type SafetensorsEntry,
  type SafetensorsFile,
  type SerializeOptions,
} from './checkpoint/safetensors';
export { loadT5, t5FromCheckpoint, t5ToFiles } from './pretrained';
export { loadAnyCheckpointFromFiles, loadCheckpointFromFiles } from './checkpoint/bytes-store';
export { causalToFiles } from './checkpoint/causal-files';
export {
  fitProblem,
  footprint,
  WASM_WEIGHT_BUDGET,
  type BufferLimits,
  type Footprint,
} from './checkpoint/footprint';

// The T5 network, backends (compute).
export { T5Model, ModelInputError, type ForwardOptions } from './t5/model';
export { denseProductsUseTransposedCopies } from './kernels/linear';
export { T5DecoderCache, type LayerCache } from './t5/cache';
export { parseT5Config, toHuggingFaceConfig, type T5Config, type T5Activation } from './t5/config';
export type { Seq2SeqLM, DecoderCache, EncoderDecoderInputs } from './t5/interface';
export { relativePositionBucket } from './t5/relativePosition';
export {
  initBackend,
  setWasmPaths,
  isBackendName,
  BackendError,
  BACKEND_NAMES,
  type BackendName,
  type BackendOptions,
} from './backend/index';
export { setNumThreads, threadsInUse, threadStatus, stopThreads, type ThreadStatus } from './threads/index';
export { gemmUsesFusedMultiplyAdd as wasmUsesFusedMultiplyAdd } from './kernels/wasm/gemm';
export {
  crossEntropyLoss,
  tokenCrossEntropy,
  IGNORE_INDEX,
  LossInputError,
  type LossOptions,
} from './loss/crossEntropy';
export {
  computeGradients,
  type TrainingBatch,
  type GradientOptions,
  type LossAndGradients,
} from './t5/gradients';

// Generation and scoring.
export {
  generate,
  resolveGenerationOptions,
  GenerationError,
  type GenerationOptions,
  type ResolvedGenerationOptions,
  type GenerationOutput,
  type GenerationStep,
  type EncoderInputs,
  type Prompts,
} from './generation/index';
export {
  scoreTargets,
  rankClassify,
  ScoringError,
  type ScoringRequest,
  type ScoringOptions,
  type TargetScore,
} from './scoring/index';

// Decoder-only models (Llama, Qwen3, Mistral, Qwen2): the network, its loss and gradients, and
// loading by URL or hub id (loadModel picks T5 or causal from config.json).
export { CausalLMModel, type CausalForwardOptions } from './causal/model';
export {
  parseCausalConfig,
  toHuggingFaceCausalConfig,
  withGenerationIds,
  CAUSAL_MODEL_TYPES,
  type CausalLMConfig,
  type CausalModelType,
  type RopeScaling,
} from './causal/config';
export { isCausalLM, type CausalLM, type CausalLMInputs, type CausalDecodeOptions } from './causal/interface';
export { CausalKVCache } from './causal/cache';
export {
  computeCausalGradients,
  causalLmLoss,
  shiftLabels,
  type CausalTrainingBatch,
  type CausalGradientOptions,
} from './causal/gradients';
export { packedRowIds, positionsFromMask } from './causal/masks';
export { expectedCausalTensors } from './causal/parameters';
export { ropeInvFreq } from './causal/rope';
export {
  loadCausalLM,
  loadModel,
  loadAnyCheckpoint,
  causalFromCheckpoint,
  modelFromCheckpoint,
  type LoadedModel,
} from './causal/pretrained';
export type { LoadedCausalCheckpoint, CausalCheckpointFiles } from './checkpoint/causal';
export { architectureOf, type Architecture, type AnyLoadedCheckpoint } from './checkpoint/architecture';
