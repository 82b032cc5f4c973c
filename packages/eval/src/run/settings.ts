/**
 * The settings of an evaluation run: how each benchmark and format is answered (generation or rank
 * classification), how much is generated and where it stops, and what a cached result is keyed by.
 */
import type { BenchmarkName } from '../prompts';

export type AnswerMode = 'generate' | 'rank';

/** Generation settings that change a result, so they are part of its cache key. */
export interface RunSettings {
  mode: AnswerMode;
  /** Most new tokens; undefined: {@link defaultMaxNewTokens} of the format. */
  maxNewTokens?: number;
  /** Longer prompts keep their last tokens (left truncation) and are counted. Default 2048. */
  maxInputTokens: number;
  /** Prompts run together (grouped by length so padding stays small). */
  batchSize: number;
  /** Self-consistency: k samples per CoT example, majority vote. */
  selfConsistency?: { k: number; temperature: number; topK: number; seed: number };
  /** Decoder-only models: prompts wrapped in the model's chat template as the user's turn. */
  chatTemplate?: boolean;
}

export const DEFAULT_MAX_INPUT_TOKENS = 2048;

/** Chain-of-thought formats need room for the rationale (~256 tokens); direct answers are short. */
export function defaultMaxNewTokens(benchmark: BenchmarkName, format: string): number {
  if (format === 'cot' || format === 'native_cot') return 256;
  if (benchmark === 'mmlu') return 8;
  return 32;
}

/**
 * Where generation stops besides eos. A CoT output ends at a blank line (the next exemplar would
 * start there, and extraction cuts there anyway); a direct answer is its first line.
 */
export function stopStrings(format: string): string[] {
  return format === 'cot' || format === 'native_cot' ? ['\n\n'] : ['\n'];
}

/** Whether rank classification applies: multiple choice with the options in the record (MMLU). */
export function rankable(benchmark: BenchmarkName, format: string): boolean {
  return benchmark === 'mmlu' && format !== 'cot';
}

/** FNV-1a 32-bit hash as 8 hex digits: a short, stable key (not a security measure). */
export function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** The settings that change the results of one benchmark and format, as a stable string. */
export function settingsKey(benchmark: BenchmarkName, format: string, settings: RunSettings): string {
  const sc = format === 'cot' || format === 'native_cot' ? settings.selfConsistency : undefined;
  return JSON.stringify({
    mode: settings.mode === 'rank' && rankable(benchmark, format) ? 'rank' : 'generate',
    maxNewTokens: settings.maxNewTokens ?? defaultMaxNewTokens(benchmark, format),
    maxInputTokens: settings.maxInputTokens,
    stop: stopStrings(format),
    selfConsistency: sc ?? null,
    // Absent unless set, so the keys of earlier caches stay valid.
    ...(settings.chatTemplate ? { chatTemplate: true } : {}),
  });
}

/** The cache key of one example's result. */
export function resultKey(
  benchmark: BenchmarkName,
  format: string,
  exampleId: string,
  modelFingerprint: string,
  settings: RunSettings,
): string {
  return JSON.stringify([
    benchmark,
    format,
    exampleId,
    modelFingerprint,
    settingsKey(benchmark, format, settings),
  ]);
}
