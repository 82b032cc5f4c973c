export { generate, type GenerationOutput } from './generate';
export {
  resolveGenerationOptions,
  type GenerationOptions,
  type GenerationStep,
  type ResolvedGenerationOptions,
} from './options';
export type { EncoderInputs, Prompts } from './inputs';
export { GenerationError } from './errors';
