/** The data path: example sources, trimming, padding with length buckets, seqio packing, the batcher. */
export { Batcher, type BatcherOptions, type BatcherState, type DataBatch } from './batcher';
export { bucketByLength } from './buckets';
export { DataError } from './errors';
export {
  DEFAULT_FEATURE_LENGTHS,
  featureLengths,
  trimExample,
  type Example,
  type FeatureLengths,
} from './example';
export { idRecord, messagesRecord, parseJsonLine, textRecord, type IdRecord, type TextRecord } from './jsonl';
export { readLines, type Line, type TextInput } from './lines';
export { batchMetrics, type BatchMetrics } from './metrics';
export { fitsRow, packRow, packRows, packedBatch, type PackedRow } from './pack';
export { batcherStream, takeExamples } from './stream';
export { shuffleExamples, type ShuffleOptions } from './shuffle';
export { causalRowLength, fitsCausalRow, packedCausalBatch, padCausalBatch } from './causal';
export {
  chatEncoder,
  encoderDecoderEncoder,
  promptCompletionEncoder,
  type ExampleEncoder,
  type SpecialTokensTokenizer,
} from './encoders';
export { IGNORE_INDEX, padBatch, shiftRight, type PadOptions } from './pad';
export {
  idJsonlExamples,
  mixtureExamples,
  textJsonlExamples,
  tokenizeText,
  type ExampleSource,
  type ExampleTokenizer,
  type JsonlInput,
  type JsonlSourceOptions,
  type SourceState,
  type TextExampleSampler,
  type TextToExample,
} from './sources';
