/**
 * The user's data as a one-task mixture of @flan-ts/templates: records parsed from JSONL/CSV (a bad
 * line names `<file>:<line>`), every n-th held out, rendered by a template (`{inputs}`/`{targets}`
 * pairs, the Flan CoT templates, or a Flan template family, in the chosen format) and drawn by a
 * seeded, resumable sampler.
 */
import {
  arraySource,
  flanCotTask,
  MixtureSampler,
  Registry,
  resolveMixture,
  textSource,
  type ResolvedMixture,
  type SamplerState,
  type TaskDefinition,
} from '@flan-ts/templates';
import type { DataSpec, PreviewExample } from '../protocol';
import { flanFamily, flanFamilyTask, type FlanFamily } from './flan-family';

export interface PreparedData {
  train: ResolvedMixture;
  heldOut: ResolvedMixture | undefined;
  records: number;
  heldOutRecords: number;
}

function familyOf(spec: DataSpec): FlanFamily | undefined {
  if (spec.kind !== 'flan') return undefined;
  if (!spec.flan) throw new Error('choose a templates file and a template family');
  return flanFamily(spec.flan, spec.format);
}

function wantedFields(spec: DataSpec, family: FlanFamily | undefined): string[] {
  if (family) return family.fields;
  return spec.kind === 'pairs' ? ['inputs', 'targets'] : ['question', 'answer', 'chain_of_thought'];
}

async function readRecords(
  spec: DataSpec,
  family: FlanFamily | undefined,
): Promise<Record<string, unknown>[]> {
  const records: Record<string, unknown>[] = [];
  const wanted = wantedFields(spec, family);
  const options = family?.optionsField;
  for await (const r of textSource(spec.text, { name: spec.name }).open()) {
    for (const field of wanted)
      if (typeof r.value[field] !== 'string')
        throw new Error(`${r.source}:${r.line}: field "${field}" must be a string`);
    const list = options === undefined ? undefined : r.value[options];
    if (options !== undefined && !(Array.isArray(list) && list.every((o) => typeof o === 'string')))
      throw new Error(`${r.source}:${r.line}: field "${options}" must be a list of strings (the options)`);
    records.push(r.value);
  }
  if (records.length === 0) throw new Error(`${spec.name}: no records`);
  return records;
}

function task(
  spec: DataSpec,
  family: FlanFamily | undefined,
  name: string,
  records: Record<string, unknown>[],
): TaskDefinition {
  const source = arraySource(records, spec.name);
  if (family)
    return flanFamilyTask(family, name, source, spec.format as 'zero-shot' | 'few-shot', records.length);
  if (spec.kind === 'pairs')
    return { name, source, templates: [{ name: 'pairs', input: '{inputs}', target: '{targets}' }] };
  return flanCotTask('gsm8k', source, { name, formats: { [spec.format]: 1 }, numExamples: records.length });
}

async function mixtureOf(
  spec: DataSpec,
  family: FlanFamily | undefined,
  records: Record<string, unknown>[],
): Promise<ResolvedMixture> {
  const registry = new Registry().addTask(task(spec, family, 'data', records));
  return resolveMixture(registry, { name: spec.name, tasks: ['data'] });
}

export async function prepareData(spec: DataSpec): Promise<PreparedData> {
  const family = familyOf(spec);
  const all = await readRecords(spec, family);
  const every = spec.heldOutEvery;
  const held = every > 0 && all.length >= 2 * every ? all.filter((_, i) => i % every === every - 1) : [];
  const train = held.length > 0 ? all.filter((_, i) => i % every !== every - 1) : all;
  return {
    train: await mixtureOf(spec, family, train),
    heldOut: held.length > 0 ? await mixtureOf(spec, family, held) : undefined,
    records: train.length,
    heldOutRecords: held.length,
  };
}

/** A sampler over the mixture, new (`seed`) or continuing a saved state. */
export function sampler(mixture: ResolvedMixture, seed: number, state?: SamplerState): MixtureSampler {
  return new MixtureSampler(mixture, state ? { state } : { seed });
}

/** The first `count` rendered training examples with their token counts (eos included). */
export async function preview(
  data: PreparedData,
  tokenizer: { encode(text: string): { ids: ArrayLike<number> } },
  count: number,
): Promise<PreviewExample[]> {
  const out: PreviewExample[] = [];
  for await (const e of sampler(data.train, 0).take(count)) {
    out.push({
      inputs: e.inputs,
      targets: e.targets,
      inputTokens: tokenizer.encode(e.inputs).ids.length,
      targetTokens: tokenizer.encode(e.targets).ids.length,
    });
  }
  return out;
}
