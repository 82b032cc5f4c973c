/** Loading a model and its tokenizer from a hub id, a directory URL or files the user gave. */
import {
  CheckpointError,
  expectedT5Tensors,
  fitProblem,
  footprint,
  loadCheckpoint,
  loadCheckpointFromFiles,
  parseT5Config,
  t5FromCheckpoint,
  type DownloadProgress,
  type LoadedCheckpoint,
  type T5Model,
} from '@flan-ts/models';
import { Tokenizer } from '@flan-ts/tokenizer';
import type { AdapterInfo, ModelInfo, ModelSource } from '../protocol';
import { cachedFetch } from './cached-fetch';

export interface Loaded {
  model: T5Model;
  tokenizer: Tokenizer;
  info: ModelInfo;
  /** The tokenizer's own files, kept beside exported models and checkpoints. */
  tokenizerFiles: Map<string, Uint8Array>;
}

const TOKENIZER_NAMES = [
  'spiece.model',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
];

/** The directory URL of a source: itself, or the hub's `resolve/main/` URL of a repo id. */
export function directoryUrl(source: string): string {
  if (/^https?:\/\//i.test(source)) return source.endsWith('/') ? source : `${source}/`;
  if (/^[\w.-]+\/[\w.-]+$/.test(source)) return `https://huggingface.co/${source}/resolve/main/`;
  throw new Error(`${source}: neither an http(s) URL nor a hub repo id (owner/name)`);
}

function describe(
  label: string,
  checkpoint: Pick<LoadedCheckpoint, 'config'>,
  tokenizer: Tokenizer,
): ModelInfo {
  const c = checkpoint.config;
  const f = footprint(expectedT5Tensors(c));
  return {
    label,
    architecture:
      `T5 encoder-decoder: ${c.numLayers}+${c.numDecoderLayers} layers, d_model ${c.dModel}, ` +
      `d_ff ${c.dFf} (${c.isGatedAct ? 'gated-' : ''}${c.activation}), ${c.numHeads} heads × d_kv ${c.dKv}, vocabulary ${c.vocabSize}`,
    parameters: f.parameters,
    largestTensor: f.largest,
    tokenizer: `SentencePiece, ${tokenizer.vocabSize} pieces`,
  };
}

/** Loads `source` onto the current backend, refusing (before downloading weights) a model that cannot fit. */
export async function loadModel(
  source: ModelSource,
  backend: string,
  adapter: AdapterInfo | undefined,
  onProgress: (p: DownloadProgress & { cached: boolean }) => void,
): Promise<Loaded> {
  if (source.kind === 'files') {
    const files = new Map(Object.entries(source.files).map(([n, b]) => [n, new Uint8Array(b)]));
    const configBytes = files.get('config.json');
    if (!configBytes) throw new Error(`${source.label}: no config.json among the files`);
    const problem = fitProblem(
      footprint(
        expectedT5Tensors(
          parseT5Config(JSON.parse(new TextDecoder().decode(configBytes)), `${source.label}/config.json`),
        ),
      ),
      backend,
      adapter,
    );
    if (problem) throw new Error(`${source.label}: ${problem}`);
    const spiece = files.get('spiece.model') ?? files.get('tokenizer.json');
    if (!spiece) throw new Error(`${source.label}: no spiece.model or tokenizer.json among the files`);
    const checkpoint = await loadCheckpointFromFiles(files, source.label);
    const tokenizer = Tokenizer.fromBytes(spiece, { source: source.label });
    const tokenizerFiles = new Map(
      TOKENIZER_NAMES.filter((n) => files.has(n)).map((n) => [n, files.get(n)!]),
    );
    return {
      model: t5FromCheckpoint(checkpoint),
      tokenizer,
      info: describe(source.label, checkpoint, tokenizer),
      tokenizerFiles,
    };
  }

  const base = directoryUrl(source.url.trim());
  const cachedUrls = new Set<string>();
  const doFetch = cachedFetch((url, cached) => {
    if (cached) cachedUrls.add(url);
  });
  const configResponse = await doFetch(`${base}config.json`);
  if (!configResponse.ok) throw new CheckpointError(`HTTP ${configResponse.status}`, `${base}config.json`);
  const config = parseT5Config(await configResponse.json(), `${base}config.json`);
  const problem = fitProblem(footprint(expectedT5Tensors(config)), backend, adapter);
  if (problem) throw new Error(`${source.url}: ${problem}`);

  const checkpoint = await loadCheckpoint(base, {
    fetch: doFetch,
    onProgress: (p) => onProgress({ ...p, cached: cachedUrls.has(new URL(p.file, base).href) }),
  });
  const tokenizerFiles = new Map<string, Uint8Array>();
  for (const name of TOKENIZER_NAMES) {
    const response = await doFetch(`${base}${name}`);
    if (response.ok) tokenizerFiles.set(name, new Uint8Array(await response.arrayBuffer()));
  }
  const spiece = tokenizerFiles.get('spiece.model') ?? tokenizerFiles.get('tokenizer.json');
  if (!spiece) throw new Error(`${base}: the checkpoint has no tokenizer (spiece.model or tokenizer.json)`);
  const tokenizer = Tokenizer.fromBytes(spiece, { source: base });
  const model = t5FromCheckpoint(checkpoint);
  return { model, tokenizer, info: describe(source.url, checkpoint, tokenizer), tokenizerFiles };
}
