// @flan-ts/train: instruction finetuning of T5 / Flan-T5 (browser-safe; files and signals are in ./node).

export {
  isCausalIdBatch,
  targetTokenCount,
  type AnyIdBatch,
  type CausalIdBatch,
  type IdBatch,
} from './batch';
export { isDecoderOnly, type TrainableModel } from './model';
// LoRA (PEFT semantics and file layout).
export { LoraAdapter, applyLora, mergeLora, peftKey, type LoraModule } from './lora/adapter';
export {
  DEFAULT_LORA_CONFIG,
  LoraConfigError,
  matchesTarget,
  parseAdapterConfig,
  resolveLoraConfig,
  type LoraConfig,
} from './lora/config';
export {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  AdapterFileError,
  adapterFilesIn,
  loraAdapterFileMap,
  loraAdapterFromFiles,
  loraAdapterToFiles,
  type AdapterFiles,
} from './lora/files';
// Optimizers, schedules, clipping and the trainer.
export * from './optim/index';
export { Trainer, type TrainerOptions, type StepResult, type GradientsFn } from './trainer';
export { TrainingError } from './training-error';
export type { StepBatch, TensorBatch } from './trainer-batch';
// Data path (sources, padding with length buckets, seqio packing, the batcher).
export * from './data/index';
// The training loop, checkpoints' state, metrics and the run's settings.
export {
  fit,
  type BatchStream,
  type BatchStats,
  type FitOptions,
  type FitProgress,
  type FitResult,
  type MicroBatch,
  type SteppingTrainer,
  type CheckpointPosition,
} from './loop';
export { heldOutLoss, type HeldOutLoss } from './held-out';
export {
  MemoryCheckpointStore,
  checkpointName,
  checkpointStep,
  checkpointsByStep,
  newestCheckpoint,
  pruneStore,
  type CheckpointFiles,
  type CheckpointStore,
} from './checkpoint/store';
export {
  checkpointSaver,
  checkpointToResume,
  loraForRun,
  restoreOptimizer,
  ResumeError,
  type CheckpointSaverOptions,
} from './checkpoint/resume';
export {
  checkpointFiles,
  modelFiles,
  optimizerStateOf,
  readStoredCheckpoint,
  saveCheckpoint,
  type CheckpointContents,
  type StoredCheckpoint,
} from './checkpoint/contents';
export {
  configDifferences,
  parseTrainerState,
  TRAINER_STATE_FORMAT,
  type TrainerState,
  CheckpointStateError,
} from './checkpoint/state';
export type { RunMetrics, TrainMetrics, EvalMetrics } from './report/metrics';
export {
  RUN_DEFAULTS,
  RunConfigError,
  parseLoraFlag,
  validateRunConfig,
  type OptimizerName,
  type RunConfig,
  type ScheduleName,
} from './run-config';
export { huggingFaceTrainScript, type HfExportConfig } from './export/hf-script';
export { OpfsCheckpointStore, OpfsCheckpointError, OPFS_COMPLETE_MARKER } from './checkpoint/opfs-store';
