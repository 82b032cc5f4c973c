/**
 * The page side of browser evaluation: posts prompt records and settings to an evaluation worker
 * (see `serveEvaluation`) and gets the results back as they stream, so the main thread stays free.
 */
import { EvalError } from '../errors';
import type { PromptRecord } from '../prompts';
import type { ExampleResult } from '../run/evaluate';
import type { BenchmarkScore } from '../run/report';
import type { RunSettings } from '../run/settings';
import type { EvalResponse, MessagePortLike } from './protocol';

/** A finished evaluation: results in the order of the prompts, and their scores. */
export interface WorkerEvaluation {
  results: ExampleResult[];
  scores: BenchmarkScore[];
}

export interface EvaluateCall {
  promise: Promise<WorkerEvaluation>;
  /** Asks the worker to stop before its next batch; the promise then rejects ("evaluation cancelled"). */
  cancel(): void;
}

export interface EvalClient {
  /** `onResults` hears every batch as it finishes (with the prompts' indices), and the progress. */
  evaluate(
    prompts: readonly PromptRecord[],
    settings: RunSettings,
    onResults?: (batch: { results: ExampleResult[]; indices: number[]; done: number; total: number }) => void,
  ): EvaluateCall;
  /** Stops listening to the port. */
  close(): void;
}

export function createEvalClient(port: MessagePortLike): EvalClient {
  let nextId = 1;
  const pending = new Map<number, (response: EvalResponse) => void>();
  const listener = (event: { data: unknown }) => {
    const response = event.data as EvalResponse;
    pending.get(response.id)?.(response);
  };
  port.addEventListener('message', listener);
  port.start?.();
  return {
    evaluate(prompts, settings, onResults) {
      const id = nextId++;
      const results = new Array<ExampleResult>(prompts.length);
      const promise = new Promise<WorkerEvaluation>((resolve, reject) => {
        pending.set(id, (response) => {
          if (response.type === 'results') {
            response.indices.forEach((index, i) => (results[index] = response.results[i]!));
            onResults?.(response);
            return;
          }
          pending.delete(id);
          if (response.type === 'done') resolve({ results, scores: response.scores });
          else {
            // The worker's EvalError (bad settings, a mismatched tokenizer) stays one, with its option.
            const error =
              response.name === 'EvalError'
                ? new EvalError(response.message, response.option)
                : Object.assign(new Error(response.message), { name: response.name });
            reject(error);
          }
        });
      });
      port.postMessage({ type: 'evaluate', id, prompts: [...prompts], settings });
      return { promise, cancel: () => port.postMessage({ type: 'cancel', id }) };
    },
    close() {
      port.removeEventListener?.('message', listener);
      pending.clear();
    },
  };
}
