/**
 * JSONL records of the two training-data shapes, checked field by field: `{inputs, targets}` texts and
 * `{input_ids, target_ids}` ids. Every problem is a {@link DataError} naming the source and line.
 */
import { DataError } from './errors';
import type { Line } from './lines';

/** A text record: what `flan mix` writes (extra fields such as `task` are allowed and ignored). */
export interface TextRecord {
  inputs: string;
  targets: string;
}

/** An id record: token ids used as given (no eos added). */
export interface IdRecord {
  input_ids: number[];
  target_ids: number[];
}

/** Parses one JSONL line into an object; `undefined` for a blank line (skipped, as `flan mix` output may end with one). */
export function parseJsonLine(line: Line, source: string): Record<string, unknown> | undefined {
  if (line.text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line.text);
  } catch (error) {
    throw new DataError(source, line.line, `not valid JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new DataError(source, line.line, 'expected a JSON object');
  return value as Record<string, unknown>;
}

/** Checks a `{inputs, targets}` record. */
export function textRecord(value: Record<string, unknown>, source: string, line: number): TextRecord {
  for (const field of ['inputs', 'targets'] as const) {
    if (!(field in value)) throw new DataError(source, line, `missing field "${field}"`);
    if (typeof value[field] !== 'string')
      throw new DataError(source, line, `field "${field}" must be a string, got ${typeName(value[field])}`);
  }
  return { inputs: value['inputs'] as string, targets: value['targets'] as string };
}

/** A conversation line: `{messages: [{role, content}, ...]}` ending with the assistant's reply. */
export function messagesRecord(
  value: Record<string, unknown>,
  source: string,
  line: number,
): { role: string; content: string }[] {
  const messages = value['messages'];
  if (!Array.isArray(messages) || messages.length === 0)
    throw new DataError(source, line, 'field "messages" must be a non-empty array');
  return messages.map((m: unknown, i) => {
    const turn = m as Record<string, unknown> | null;
    if (turn === null || typeof turn !== 'object' || Array.isArray(turn))
      throw new DataError(source, line, `messages[${i}] must be an object with role and content`);
    for (const field of ['role', 'content'] as const) {
      if (typeof turn[field] !== 'string')
        throw new DataError(
          source,
          line,
          `messages[${i}].${field} must be a string, got ${typeName(turn[field])}`,
        );
    }
    return { role: turn['role'] as string, content: turn['content'] as string };
  });
}

/** Checks a `{input_ids, target_ids}` record: arrays of non-negative integers (below `vocabSize` when given). */
export function idRecord(
  value: Record<string, unknown>,
  source: string,
  line: number,
  vocabSize?: number,
): IdRecord {
  for (const field of ['input_ids', 'target_ids'] as const) {
    if (!(field in value)) throw new DataError(source, line, `missing field "${field}"`);
    const ids = value[field];
    if (!Array.isArray(ids))
      throw new DataError(source, line, `field "${field}" must be an array of ids, got ${typeName(ids)}`);
    ids.forEach((id, i) => {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0)
        throw new DataError(
          source,
          line,
          `${field}[${i}] must be a non-negative integer, got ${JSON.stringify(id)}`,
        );
      if (vocabSize !== undefined && id >= vocabSize)
        throw new DataError(
          source,
          line,
          `${field}[${i}] = ${id} is outside the vocabulary (size ${vocabSize})`,
        );
    });
  }
  return { input_ids: value['input_ids'] as number[], target_ids: value['target_ids'] as number[] };
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
