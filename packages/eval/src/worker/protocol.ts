/**
 * The messages between a page and an evaluation Web Worker. Plain, structured-cloneable data: prompt
 * records and settings go in; each batch's results stream out, then the scores (or an error).
 */
import type { PromptRecord } from '../prompts';
import type { ExampleResult } from '../run/evaluate';
import type { BenchmarkScore } from '../run/report';
import type { RunSettings } from '../run/settings';

/** Page → worker. */
export type EvalRequest =
  | { type: 'evaluate'; id: number; prompts: PromptRecord[]; settings: RunSettings }
  | { type: 'cancel'; id: number };

/** Worker → page. `results` carry the index of each result in the request's `prompts`. */
export type EvalResponse =
  | { type: 'results'; id: number; results: ExampleResult[]; indices: number[]; done: number; total: number }
  | { type: 'done'; id: number; scores: BenchmarkScore[] }
  | { type: 'error'; id: number; name: string; message: string; option?: string };

/**
 * What both ends need of a port: a `Worker`, the worker's `self`, a `MessagePort` (browser or
 * Node's `worker_threads`).
 */
export interface MessagePortLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  removeEventListener?(type: 'message', listener: (event: { data: unknown }) => void): void;
  /** MessagePorts deliver only once started (a Worker needs no call). */
  start?(): void;
}
