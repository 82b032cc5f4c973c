/**
 * The Web Worker: owns tfjs, the loaded model (finetuned in place), a lazily loaded base copy for
 * side-by-side comparisons, and the training run; the page only sends requests and shows events.
 */
import type { CausalLM, Seq2SeqLM } from '@flan-ts/models';
import type { Event, ModelSource, Request, Which } from '../protocol';
import { chooseBackend, memoryInUse, type ChosenBackend } from './backend';
import { serveEvaluation } from '@flan-ts/eval';
import { generateText } from './generate';
import { loadModel, type Loaded } from './load';
import { prepareData, preview } from './data';
import { TrainingSession } from './session';

const post = (event: Event, transfer: Transferable[] = []) =>
  (self as unknown as Worker).postMessage(event, transfer);

let backend: ChosenBackend | undefined;
let source: ModelSource | undefined;
let tuned: Loaded | undefined;
let base: Loaded | undefined;
let session: TrainingSession | undefined;

function needModel(): Loaded {
  if (!tuned) throw new Error('load a model first');
  return tuned;
}

/** The base model, loaded again from the same source (Cache Storage makes that cheap). */
async function baseModel(): Promise<Loaded> {
  if (!session?.trained) return needModel();
  base ??= await loadModel(source!, backend!.backend, backend!.adapter, () => {});
  return base;
}

async function modelFor(which: Which): Promise<{ model: Seq2SeqLM | CausalLM; loaded: Loaded }> {
  const loaded = which === 'tuned' ? needModel() : await baseModel();
  return { model: loaded.model, loaded };
}

function reportMemory(): void {
  post({ type: 'memory', ...memoryInUse() });
}

async function handle(request: Request): Promise<void> {
  switch (request.type) {
    case 'load': {
      // A run in progress has ended by now (requests queue behind it); its adapter goes with the model.
      session?.adapter?.dispose();
      session = undefined;
      tuned?.model.dispose();
      base?.model.dispose();
      tuned = base = undefined;
      backend = await chooseBackend(request.backend, request.threads);
      post({
        type: 'backend',
        backend: backend.backend,
        reason: backend.reason,
        ...(backend.adapter ? { adapter: backend.adapter } : {}),
        ...(backend.threads ? { threads: backend.threads } : {}),
      });
      tuned = await loadModel(request.source, backend.backend, backend.adapter, (p) =>
        post({ type: 'download', file: p.file, loaded: p.loaded, total: p.total, cached: p.cached }),
      );
      source = request.source;
      post({ type: 'model', info: tuned.info });
      reportMemory();
      return;
    }
    case 'preview': {
      const data = await prepareData(request.data);
      const examples = await preview(data, needModel().tokenizer, request.count);
      post({ type: 'preview', examples, records: data.records, heldOut: data.heldOutRecords });
      return;
    }
    case 'checkpoints': {
      post({ type: 'checkpoints', ...(await TrainingSession.stored()) });
      return;
    }
    case 'train': {
      if (session?.running) throw new Error('a run is going on: stop it first');
      const loaded = needModel();
      session ??= new TrainingSession(loaded);
      await session.start(request.data, request.settings, request.resume, post);
      reportMemory();
      return;
    }
    case 'pause':
      return session?.pause();
    case 'resume':
      return session?.resume();
    case 'stop':
      return session?.stop();
    case 'generate': {
      for (const which of request.which) {
        const { model, loaded } = await modelFor(which);
        const text = await generateText(model, loaded.tokenizer, request.prompt, request.settings, (t) =>
          post({ type: 'token', which, text: t }),
        );
        post({ type: 'generated', which, text });
      }
      reportMemory();
      return;
    }
    case 'serve-eval': {
      const { which, port } = request;
      serveEvaluation(port, async () => {
        const { model, loaded } = await modelFor(which);
        return { model, tokenizer: loaded.tokenizer };
      });
      return;
    }
    case 'export': {
      const loaded = needModel();
      const files =
        request.what === 'adapter'
          ? await TrainingSession.adapterFiles(session)
          : await TrainingSession.modelFiles(loaded, session);
      const out: Record<string, ArrayBuffer> = {};
      for (const [name, bytes] of files) out[name] = bytes.slice().buffer;
      post({ type: 'files', what: request.what, files: out }, Object.values(out));
      return;
    }
  }
}

const AREA: Record<Request['type'], Extract<Event, { type: 'error' }>['area']> = {
  load: 'model',
  preview: 'data',
  train: 'train',
  pause: 'train',
  resume: 'train',
  stop: 'train',
  checkpoints: 'train',
  generate: 'generate',
  'serve-eval': 'model',
  export: 'export',
};

// Requests run one after another (the model is shared), except the run's controls, which must
// reach a run in progress.
let queue = Promise.resolve();
self.onmessage = (e: MessageEvent<Request>) => {
  const request = e.data;
  const run = () =>
    handle(request).catch((error: unknown) =>
      post({
        type: 'error',
        area: AREA[request.type],
        message: error instanceof Error ? error.message : String(error),
      }),
    );
  if (request.type === 'pause' || request.type === 'resume' || request.type === 'stop') void run();
  else queue = queue.then(run);
};
