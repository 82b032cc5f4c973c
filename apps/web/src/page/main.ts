/** The page: reads the controls, sends requests to the worker and shows its events. No model code here. */
import type { BenchmarkScore } from '@flan-ts/eval';
import type { DataSpec, Event, Request, TrainSettings, Which } from '../protocol';
import { LossChart } from './chart';
import { $, cell, checked, metricsRow, mib, num, setText, showInfo, value } from './dom';
import {
  evaluateIn,
  evaluationData,
  fillFormats,
  pickedFiles,
  readChoices,
  showEvaluation,
  sizesText,
} from './evaluate';
import { downloadLinks, droppedFiles, pickDirectory, readFiles, type NamedFiles } from './files';
import { flanFamilySpec, wireTemplateControls } from './templates-file';

const worker = new Worker(new URL('../worker/main.ts', import.meta.url), { type: 'module' });
const send = (r: Request, transfer: Transferable[] = []) => {
  for (const area of ['model', 'data', 'train', 'generate', 'export'] as const) {
    if (areaOf(r) === area) setText(`${area}-error`, '');
  }
  worker.postMessage(r, transfer);
};
const areaOf = (r: Request) => (r.type === 'load' ? 'model' : r.type === 'preview' ? 'data' : r.type);
const chart = new LossChart($('loss-chart'));
// The wasm kernels' threads: the cores by default (they run only on a cross-origin isolated page).
$<HTMLInputElement>('threads').value = String(navigator.hardwareConcurrency || 1);

// ---- model
function load(source: Extract<Request, { type: 'load' }>['source']): void {
  setText('model-info', '');
  setText('download-status', 'loading…');
  const threads = value('threads') === '' ? undefined : num('threads');
  // Local files' bytes move to the worker (transferred, not copied: a checkpoint is not held twice).
  const transfer = source.kind === 'files' ? Object.values(source.files) : [];
  send(
    { type: 'load', backend: value('backend') as never, ...(threads ? { threads } : {}), source },
    transfer,
  );
}
$('model-form').addEventListener('submit', (e) => {
  e.preventDefault();
  load({ kind: 'url', url: value('model-url') });
});
/** Loads files the user gave once they are read; a file that cannot be read is named in the model section. */
async function loadGiven(given: Promise<{ label: string; files: NamedFiles } | undefined>): Promise<void> {
  try {
    const source = await given;
    if (source) load({ kind: 'files', ...source });
  } catch (error) {
    setText('model-error', (error as Error).message);
  }
}
$('model-files').addEventListener('change', () => {
  const files = $<HTMLInputElement>('model-files').files;
  if (files?.length) void loadGiven(readFiles(files).then((f) => ({ label: 'local files', files: f })));
});
// A cancelled picker gives undefined: nothing happens, as when a file dialog is closed.
$('pick-dir').addEventListener('click', () => void loadGiven(pickDirectory()));
const drop = $('drop-zone');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
// Leaving the zone, not moving onto one of its controls.
drop.addEventListener('dragleave', (e) => {
  if (!drop.contains(e.relatedTarget as Node | null)) drop.classList.remove('over');
});
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  if (e.dataTransfer) void loadGiven(droppedFiles(e.dataTransfer));
});
drop.addEventListener('keydown', (e) => {
  // The zone itself only: Enter on its button or file input is theirs, not a second chooser.
  if (e.target !== drop || (e.key !== 'Enter' && e.key !== ' ')) return;
  e.preventDefault(); // Space would scroll the page too
  $('model-files').click();
});

let backendRows: [string, string][] = [];

// ---- data
let dataFile: { name: string; text: string } | undefined;
$('data-file').addEventListener('change', async () => {
  const file = $<HTMLInputElement>('data-file').files?.[0];
  dataFile = file && { name: file.name, text: await file.text() };
  if (dataFile) previewData();
});
function dataSpec(): DataSpec {
  if (!dataFile) throw new Error('choose a data file first');
  const kind = value('data-kind') as DataSpec['kind'];
  return {
    ...dataFile,
    kind,
    format: value('data-format') as DataSpec['format'],
    ...(kind === 'flan' ? { flan: flanFamilySpec() } : {}),
    heldOutEvery: num('held-out'),
  };
}
function previewData(): void {
  try {
    send({ type: 'preview', data: dataSpec(), count: 5 });
  } catch (error) {
    setText('data-error', (error as Error).message);
  }
}
$('preview-data').addEventListener('click', previewData);
wireTemplateControls(
  () => dataFile && previewData(),
  (message) => setText('data-error', message),
);

// ---- finetune
function trainSettings(): TrainSettings {
  return {
    optimizer: value('optimizer') as TrainSettings['optimizer'],
    learningRate: num('lr'),
    steps: num('steps'),
    batchSize: num('batch-size'),
    gradAccum: num('grad-accum'),
    inputLength: num('input-length'),
    targetLength: num('target-length'),
    pack: checked('pack'),
    saveEvery: num('save-every'),
    evalEvery: num('eval-every'),
    seed: 0,
    ...(value('method') === 'lora'
      ? {
          lora: {
            r: num('lora-r'),
            alpha: num('lora-alpha'),
            targetModules: value('lora-targets')
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
          },
        }
      : {}),
  };
}
function startTraining(resume: boolean): void {
  try {
    if (!resume) {
      chart.clear();
      $<HTMLTableElement>('metrics-table').tBodies[0]!.replaceChildren();
    }
    send({ type: 'train', data: dataSpec(), settings: trainSettings(), resume });
  } catch (error) {
    setText('train-error', (error as Error).message);
  }
}
$('train-start').addEventListener('click', () => startTraining(false));
$('train-continue').addEventListener('click', () => startTraining(true));
$('train-pause').addEventListener('click', () => send({ type: 'pause' }));
$('train-resume').addEventListener('click', () => send({ type: 'resume' }));
$('train-stop').addEventListener('click', () => send({ type: 'stop' }));
function controls(state: 'idle' | 'running' | 'paused'): void {
  $<HTMLButtonElement>('train-start').disabled = state !== 'idle';
  $<HTMLButtonElement>('train-pause').disabled = state !== 'running';
  $<HTMLButtonElement>('train-resume').disabled = state !== 'paused';
  $<HTMLButtonElement>('train-stop').disabled = state === 'idle';
}

// ---- evaluate, try it, export
const compared = (id: string): Which[] => (checked(id) ? ['base', 'tuned'] : ['tuned']);
fillFormats();
$('eval-run').addEventListener('click', () => void evaluate());
async function evaluate(): Promise<void> {
  setText('eval-error', '');
  setText('eval-sizes', '');
  try {
    const maxNew = value('eval-max-new').trim();
    const data = await evaluationData({
      baseUrl: value('eval-url').trim(),
      files: pickedFiles($<HTMLInputElement>('eval-files').files ?? []),
      benchmarks: readChoices(),
    });
    setText('eval-sizes', sizesText(data));
    const bar = $<HTMLProgressElement>('eval-progress');
    bar.hidden = false;
    const scores: Partial<Record<Which, BenchmarkScore[]>> = {};
    const which = compared('eval-compare');
    for (const [i, w] of which.entries())
      scores[w] = await evaluateIn(
        worker,
        w,
        data.prompts,
        maxNew ? Number(maxNew) : undefined,
        (done, total) => {
          bar.max = total * which.length;
          bar.value = i * total + done;
        },
      );
    showEvaluation(scores);
  } catch (error) {
    setText('eval-error', (error as Error).message);
  }
}
$('generate').addEventListener('click', () => {
  for (const id of ['out-base', 'out-tuned']) {
    setText(id, '');
    delete $(id).dataset.tokens;
    delete $(id).dataset.done;
  }
  send({
    type: 'generate',
    prompt: value('prompt'),
    settings: {
      mode: value('gen-mode') as 'greedy',
      maxNewTokens: num('max-new'),
      numBeams: num('beams'),
      temperature: num('temperature'),
      topK: num('top-k'),
      topP: num('top-p'),
      seed: 0,
    },
    which: compared('gen-compare'),
  });
});
$('export-model').addEventListener('click', () => send({ type: 'export', what: 'model' }));
$('export-adapter').addEventListener('click', () => send({ type: 'export', what: 'adapter' }));

// ---- events
let lastValidation = '';
worker.onmessage = (e: MessageEvent<Event>) => {
  const ev = e.data;
  switch (ev.type) {
    case 'backend':
      backendRows = [
        ['backend', `${ev.backend} (${ev.reason})`],
        ...(ev.threads
          ? ([
              [
                'threads',
                `${ev.threads.inUse} in use (${ev.threads.requested} asked for)` +
                  (ev.threads.reason === undefined ? '' : `: ${ev.threads.reason}`),
              ],
            ] as [string, string][])
          : []),
        ...(ev.adapter
          ? ([
              ['WebGPU adapter', ev.adapter.description],
              ['maxBufferSize', mib(ev.adapter.maxBufferSize)],
              ['maxStorageBufferBindingSize', mib(ev.adapter.maxStorageBufferBindingSize)],
            ] as [string, string][])
          : []),
      ];
      showInfo(backendRows);
      break;
    case 'download': {
      const bar = $<HTMLProgressElement>('download-progress');
      bar.hidden = false;
      bar.max = ev.total ?? 1;
      bar.value = ev.total === undefined ? 0 : ev.loaded;
      setText(
        'download-status',
        `${ev.file}: ${mib(ev.loaded)}${ev.total ? ` of ${mib(ev.total)}` : ''}${ev.cached ? ' (from the cache)' : ''}`,
      );
      break;
    }
    case 'model':
      setText('download-status', `loaded ${ev.info.label}`);
      showInfo([
        ['model', ev.info.label],
        ['architecture', ev.info.architecture],
        ['parameters', ev.info.parameters.toLocaleString('en')],
        ['largest tensor', `${ev.info.largestTensor.name} (${mib(ev.info.largestTensor.bytes)})`],
        ['tokenizer', ev.info.tokenizer],
        ...backendRows,
      ]);
      send({ type: 'checkpoints' });
      break;
    case 'preview': {
      setText(
        'data-summary',
        `${ev.records} training records, ${ev.heldOut} held out for the validation loss`,
      );
      const table = $<HTMLTableElement>('preview-table');
      table.hidden = false;
      table.tBodies[0]!.replaceChildren(
        ...ev.examples.map((x) => {
          const row = document.createElement('tr');
          cell(row, x.inputs);
          cell(row, String(x.inputTokens));
          cell(row, x.targets);
          cell(row, String(x.targetTokens));
          return row;
        }),
      );
      break;
    }
    case 'checkpoints':
      $('train-continue').hidden = ev.resumable === undefined;
      setText(
        'checkpoint-status',
        ev.resumable
          ? `a checkpoint at step ${ev.resumable.step} of ${ev.resumable.steps} is in this browser (OPFS): resume it, or start anew`
          : '',
      );
      break;
    case 'checkpoint-saved':
      $('checkpoint-status').dataset.step = String(ev.step);
      setText('checkpoint-status', `latest checkpoint: ${ev.where} (step ${ev.step})`);
      break;
    case 'train-started':
      controls('running');
      $('train-status').dataset.startedAt = String(ev.step);
      setText('train-status', `${ev.resumed ? 'resumed' : 'started'} at step ${ev.step} of ${ev.steps}`);
      break;
    case 'train-point':
      chart.add(ev.point);
      metricsRow(ev.point);
      if (ev.point.kind === 'eval')
        lastValidation = ` · validation loss ${ev.point.loss.toFixed(4)} (step ${ev.point.step})`;
      else
        setText(
          'train-stats',
          `step ${ev.point.step} of ${ev.steps} · loss ${ev.point.loss.toFixed(4)} · ` +
            `${(ev.point.tokensPerSecond ?? 0).toFixed(0)} tokens/s` +
            (ev.etaSeconds !== undefined ? ` · ETA ${Math.ceil(ev.etaSeconds)} s` : '') +
            lastValidation,
        );
      break;
    case 'train-state':
      controls(ev.state === 'running' ? 'running' : ev.state === 'paused' ? 'paused' : 'idle');
      $('train-status').dataset.step = String(ev.step);
      setText('train-status', ev.message);
      if (ev.state === 'done' || ev.state === 'stopped') send({ type: 'checkpoints' });
      break;
    case 'memory':
      setText(
        'memory',
        `memory: ${ev.tensors} tensors, ${mib(ev.bytes)}` +
          (ev.gpuBytes !== undefined ? `, GPU ${mib(ev.gpuBytes)}` : '') +
          (ev.wasmHeapBytes !== undefined ? `, WASM heap ${mib(ev.wasmHeapBytes)}` : ''),
      );
      break;
    case 'token': {
      const out = $(ev.which === 'base' ? 'out-base' : 'out-tuned');
      out.textContent = ev.text;
      // How many streamed updates arrived (the tests check that tokens came one by one).
      out.dataset.tokens = String(Number(out.dataset.tokens ?? 0) + 1);
      break;
    }
    case 'generated':
      setText(ev.which === 'base' ? 'out-base' : 'out-tuned', ev.text);
      $(ev.which === 'base' ? 'out-base' : 'out-tuned').dataset.done = 'true';
      break;
    case 'files':
      downloadLinks($('export-links'), ev.files);
      break;
    case 'error':
      setText(`${ev.area}-error`, ev.message);
      if (ev.area === 'model') setText('download-status', '');
      if (ev.area === 'train') controls('idle');
      break;
  }
};
worker.onerror = (e) => setText('model-error', `the worker failed: ${e.message}`);
