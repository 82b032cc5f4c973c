/** The messages between the page and its Web Worker (which owns tfjs, the models and the run). */
import type { BenchmarkChoice, TextFile } from '@flan-ts/eval';

export type BackendChoice = 'auto' | 'webgpu' | 'wasm' | 'cpu';

/** A model to load: a hub id or directory URL, or files the user picked or dropped. */
export type ModelSource =
  { kind: 'url'; url: string } | { kind: 'files'; label: string; files: Record<string, ArrayBuffer> };

/** A Flan template family: a task name of FLAN's `templates.json` (or a file of its shape). */
export interface FlanFamilySpec {
  templates: { name: string; text: string };
  family: string;
  /** The records' field holding the answer options (a list of strings); empty: templates without options. */
  optionsField?: string;
}

export interface DataSpec {
  /** The file's name (names errors: `<name>:<line>`) and text. */
  name: string;
  text: string;
  /**
   * `pairs`: records `{inputs, targets}`; `cot`: records `{question, answer, chain_of_thought}` + a Flan
   * CoT format; `flan`: records with a Flan template family's fields (`flan` says which family).
   */
  kind: 'pairs' | 'cot' | 'flan';
  format: 'zero-shot' | 'few-shot' | 'cot' | 'few-shot-cot';
  /** With kind `flan`: the templates file and the family. */
  flan?: FlanFamilySpec;
  /** Every n-th record is held out for the validation loss (0: none). */
  heldOutEvery: number;
}

export interface TrainSettings {
  optimizer: 'adafactor' | 'adamw' | 'adafactor-t5x';
  learningRate: number;
  steps: number;
  batchSize: number;
  gradAccum: number;
  inputLength: number;
  targetLength: number;
  pack: boolean;
  /** Undefined: full finetuning. */
  lora?: { r: number; alpha: number; targetModules: string[] };
  saveEvery: number;
  evalEvery: number;
  seed: number;
}

export interface GenerateSettings {
  mode: 'greedy' | 'beam' | 'sample';
  maxNewTokens: number;
  numBeams: number;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
}

export interface EvalSpec {
  /** Base URL of a data directory laid out as the shared data (`mmlu/`, `bbh/`, `mgsm/`, `tydiqa/`)… */
  baseUrl?: string;
  /** …or a picked folder's files by their path in it (`bbh/navigate.jsonl`), read when needed. */
  files?: Record<string, TextFile>;
  /** The benchmarks to evaluate: format, tasks (none: all) and examples per task. */
  benchmarks: BenchmarkChoice[];
  /** Undefined: each format's default. */
  maxNewTokens?: number;
}

export type Which = 'base' | 'tuned';

export type Request =
  /** `threads`: the wasm kernels' thread count (undefined: the number of cores). */
  | { type: 'load'; backend: BackendChoice; threads?: number; source: ModelSource }
  | { type: 'preview'; data: DataSpec; count: number }
  | { type: 'train'; data: DataSpec; settings: TrainSettings; resume: boolean }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'checkpoints' }
  | { type: 'generate'; prompt: string; settings: GenerateSettings; which: Which[] }
  /** Serve @flan-ts/eval's worker protocol for model `which` on `port` (one evaluation run). */
  | { type: 'serve-eval'; which: Which; port: MessagePort }
  | { type: 'export'; what: 'model' | 'adapter' };

export interface AdapterInfo {
  description: string;
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

/** The wasm kernels' threads (`threadStatus` of @flan-ts/models): in use, asked for, why fewer. */
export interface ThreadInfo {
  requested: number;
  inUse: number;
  reason?: string;
}

export interface ModelInfo {
  label: string;
  architecture: string;
  parameters: number;
  largestTensor: { name: string; bytes: number };
  tokenizer: string;
}

export interface PreviewExample {
  inputs: string;
  targets: string;
  inputTokens: number;
  targetTokens: number;
}

export interface TrainPoint {
  kind: 'train' | 'eval';
  step: number;
  loss: number;
  learningRate?: number;
  tokensPerSecond?: number;
  memoryBytes?: number;
}

export type Event =
  | { type: 'backend'; backend: string; reason: string; adapter?: AdapterInfo; threads?: ThreadInfo }
  | { type: 'download'; file: string; loaded: number; total: number | undefined; cached: boolean }
  | { type: 'model'; info: ModelInfo }
  | { type: 'preview'; examples: PreviewExample[]; records: number; heldOut: number }
  | { type: 'checkpoints'; names: string[]; resumable: { step: number; steps: number } | undefined }
  | { type: 'train-started'; step: number; steps: number; resumed: boolean }
  | { type: 'checkpoint-saved'; step: number; where: string }
  | { type: 'train-point'; point: TrainPoint; steps: number; etaSeconds: number | undefined }
  | { type: 'train-state'; state: 'running' | 'paused' | 'stopped' | 'done'; step: number; message: string }
  | { type: 'token'; which: Which; text: string }
  | { type: 'generated'; which: Which; text: string }
  | { type: 'files'; what: 'model' | 'adapter'; files: Record<string, ArrayBuffer> }
  | { type: 'memory'; tensors: number; bytes: number; gpuBytes?: number; wasmHeapBytes?: number }
  /** `area` says which section of the page shows it. */
  | { type: 'error'; area: 'model' | 'data' | 'train' | 'generate' | 'evaluate' | 'export'; message: string };
