/**
 * The worker side of browser evaluation: answers `evaluate` requests on a port with the model it
 * loads once (lazily, on the first request), streaming each batch's results, and stops between
 * batches on `cancel`. In a Web Worker: `serveEvaluation(self, load)`.
 */
import { checkModelTokenizer, type TokenizerVocabulary } from '../run/check-model';
import { evaluatePrompts, type EvalModel, type EvalTokenizer } from '../run/evaluate';
import { aggregate } from '../run/report';
import type { EvalRequest, EvalResponse, MessagePortLike } from './protocol';

/** The model a worker evaluates with (checked against its tokenizer when loaded). */
export interface WorkerModel {
  model: EvalModel;
  tokenizer: EvalTokenizer & Partial<TokenizerVocabulary>;
}

/**
 * A handler of {@link EvalRequest}s that answers through `post`. `handle` resolves when the request
 * is answered (`done` or `error` posted); it never rejects.
 */
export function createEvalWorkerHandler(
  load: () => Promise<WorkerModel>,
  post: (response: EvalResponse) => void,
): { handle(request: EvalRequest): Promise<void> } {
  let loaded: Promise<WorkerModel> | undefined;
  const cancelled = new Set<number>();
  const model = () =>
    (loaded ??= load().then((m) => {
      checkModelTokenizer(m.model, m.tokenizer);
      return m;
    }));
  return {
    async handle(request) {
      if (request.type === 'cancel') {
        cancelled.add(request.id);
        return;
      }
      const { id, prompts, settings } = request;
      const signal = {
        get aborted() {
          return cancelled.has(id);
        },
      };
      try {
        const { model: m, tokenizer } = await model();
        let done = 0;
        const results = await evaluatePrompts(
          m,
          tokenizer,
          prompts,
          settings,
          (batch) => {
            done += batch.length;
            // The runner keys results by their position in `prompts`.
            const indices = batch.map((r) => Number(r.key));
            post({ type: 'results', id, results: batch, indices, done, total: prompts.length });
          },
          signal,
        );
        post({ type: 'done', id, scores: aggregate(results) });
      } catch (error) {
        const e = error instanceof Error ? error : new Error(String(error));
        const option = (e as Error & { option?: string }).option;
        post({ type: 'error', id, name: e.name, message: e.message, ...(option ? { option } : {}) });
      } finally {
        cancelled.delete(id);
      }
    },
  };
}

/**
 * Serves evaluation on a port (in a Web Worker: `self`). Requests are answered one at a time, in
 * order (one model, one backend); a `cancel` is seen at once. Returns a function that stops serving.
 */
export function serveEvaluation(port: MessagePortLike, load: () => Promise<WorkerModel>): () => void {
  const handler = createEvalWorkerHandler(load, (response) => port.postMessage(response));
  let queue = Promise.resolve();
  const listener = (event: { data: unknown }) => {
    const request = event.data as EvalRequest;
    if (request.type === 'cancel') void handler.handle(request);
    else queue = queue.then(() => handler.handle(request));
  };
  port.addEventListener('message', listener);
  port.start?.();
  return () => port.removeEventListener?.('message', listener);
}
