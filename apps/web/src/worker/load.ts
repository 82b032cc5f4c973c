/**
 * Loading a model and its tokenizer from a hub id, a directory URL or files the user gave: a T5
 * (SentencePiece) or a decoder-only model (Llama, Qwen3: `tokenizer.json`), as `config.json` says.
 */
import {
  architectureOf,
  CheckpointError,
  expectedCausalTensors,
  expectedT5Tensors,
  fitProblem,
  footprint,
  loadAnyCheckpoint,
  loadAnyCheckpointFromFiles,
  modelFromCheckpoint,
  parseCausalConfig,
  parseT5Config,
  type AnyLoadedCheckpoint,
  type CausalLMModel,
  type DownloadProgress,
  type T5Model,
} from '@flan-ts/models';
import { parseTokenizerConfig, Tokenizer, tokenizerFromBytes, type TextTokenizer } from '@flan-ts/tokenizer';
import type { AdapterInfo, ModelInfo, ModelSource } from '../protocol';
import { cachedFetch } from './cached-fetch';

export type Loaded = (
  | { architecture: 't5'; model: T5Model; tokenizer: Tokenizer }
  | { architecture: 'causal'; model: CausalLMModel; tokenizer: TextTokenizer }
) & {
  info: ModelInfo;
  /** The tokenizer's own files, kept beside exported models and checkpoints. */
  tokenizerFiles: Map<string, Uint8Array>;
};

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

/** The expected tensors of a `config.json` (either family), for the fit check before any download. */
function expectedTensors(json: unknown, source: string) {
  return architectureOf(json, source) === 'causal'
    ? expectedCausalTensors(parseCausalConfig(json, source))
    : expectedT5Tensors(parseT5Config(json, source));
}

function describe(label: string, checkpoint: AnyLoadedCheckpoint, tokenizer: TextTokenizer): ModelInfo {
  if (checkpoint.architecture === 'causal') {
    const c = checkpoint.config;
    const f = footprint(expectedCausalTensors(c));
    return {
      label,
      architecture:
        `${c.modelType} decoder-only: ${c.numLayers} layers, hidden ${c.hiddenSize}, intermediate ${c.intermediateSize}, ` +
        `${c.numHeads} heads (${c.numKeyValueHeads} kv) × ${c.headDim}, vocabulary ${c.vocabSize}`,
      parameters: f.parameters,
      largestTensor: f.largest,
      tokenizer: `byte-level BPE (tokenizer.json), ${tokenizer.vocabSize} tokens`,
    };
  }
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

/** The checkpoint's model and tokenizer (from its tokenizer files), told apart by architecture. */
function assemble(
  label: string,
  checkpoint: AnyLoadedCheckpoint,
  tokenizerFiles: Map<string, Uint8Array>,
): Loaded {
  const configBytes = tokenizerFiles.get('tokenizer_config.json');
  const config = configBytes
    ? parseTokenizerConfig(JSON.parse(new TextDecoder().decode(configBytes)) as Record<string, unknown>)
    : undefined;
  if (checkpoint.architecture === 'causal') {
    const json = tokenizerFiles.get('tokenizer.json');
    if (!json) throw new Error(`${label}: a decoder-only model needs its tokenizer.json`);
    const tokenizer = tokenizerFromBytes(json, { source: label, ...(config ? { config } : {}) });
    const info = describe(label, checkpoint, tokenizer);
    const loaded = modelFromCheckpoint(checkpoint);
    if (loaded.architecture !== 'causal') throw new Error('unreachable');
    return { architecture: 'causal', model: loaded.model, tokenizer, info, tokenizerFiles };
  }
  const spiece = tokenizerFiles.get('spiece.model') ?? tokenizerFiles.get('tokenizer.json');
  if (!spiece) throw new Error(`${label}: the checkpoint has no tokenizer (spiece.model or tokenizer.json)`);
  const tokenizer = Tokenizer.fromBytes(spiece, { source: label });
  const info = describe(label, checkpoint, tokenizer);
  const loaded = modelFromCheckpoint(checkpoint);
  if (loaded.architecture !== 't5') throw new Error('unreachable');
  return { architecture: 't5', model: loaded.model, tokenizer, info, tokenizerFiles };
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
    const json = JSON.parse(new TextDecoder().decode(configBytes)) as unknown;
    const problem = fitProblem(
      footprint(expectedTensors(json, `${source.label}/config.json`)),
      backend,
      adapter,
    );
    if (problem) throw new Error(`${source.label}: ${problem}`);
    const tokenizerFiles = new Map(
      TOKENIZER_NAMES.filter((n) => files.has(n)).map((n) => [n, files.get(n)!]),
    );
    return assemble(source.label, await loadAnyCheckpointFromFiles(files, source.label), tokenizerFiles);
  }

  const base = directoryUrl(source.url.trim());
  const cachedUrls = new Set<string>();
  const doFetch = cachedFetch((url, cached) => {
    if (cached) cachedUrls.add(url);
  });
  const configResponse = await doFetch(`${base}config.json`);
  if (!configResponse.ok) throw new CheckpointError(`HTTP ${configResponse.status}`, `${base}config.json`);
  const problem = fitProblem(
    footprint(expectedTensors(await configResponse.json(), `${base}config.json`)),
    backend,
    adapter,
  );
  if (problem) throw new Error(`${source.url}: ${problem}`);

  const checkpoint = await loadAnyCheckpoint(base, {
    fetch: doFetch,
    onProgress: (p) => onProgress({ ...p, cached: cachedUrls.has(new URL(p.file, base).href) }),
  });
  const tokenizerFiles = new Map<string, Uint8Array>();
  for (const name of TOKENIZER_NAMES) {
    const response = await doFetch(`${base}${name}`);
    if (response.ok) tokenizerFiles.set(name, new Uint8Array(await response.arrayBuffer()));
  }
  return assemble(source.url, checkpoint, tokenizerFiles);
}
