export { generate, type GenerationOutput } from './generate';
export type { GenerationOptions, GenerationStep } from './options';
export type { EncoderInputs, Prompts } from './inputs';
export { GenerationError } from './errors';
