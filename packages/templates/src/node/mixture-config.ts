/**
 * The JSON mixture config of `flan mix` (documented in the README): tasks from files with inline or
 * file templates, or the ready-made Flan CoT preset; rates, collection weights and formats. Paths are
 * relative to the config file or absolute.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError, type DataLineError } from '../errors';
import type { TextFormat } from '../data/formats';
import type { MixingRate } from '../mixtures/rates';
import { FLAN_COT_SETS, flanCotTask, type FlanCotSet } from '../tasks/flan-cot';
import type { InversionSettings } from '../tasks/inversion';
import { Registry, type MixtureDefinition } from '../tasks/registry';
import {
  FORMAT_NAMES,
  type FewShotSettings,
  type FormatName,
  type Preprocessor,
  type TaskDefinition,
} from '../tasks/task';
import { TemplateCollection } from '../templates/collection';
import { randomOptionsStyleFromFormatting } from '../templates/options';
import type { Template } from '../templates/template';
import { fileSource } from './file-source';

export interface LoadedMixtureConfig {
  registry: Registry;
  mixture: MixtureDefinition;
  seed: number | undefined;
  shuffleBuffer: number | undefined;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${what} ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path}: invalid JSON: ${(error as Error).message}`);
  }
}

function parseRate(value: unknown, where: string): MixingRate | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && value >= 0 && Number.isFinite(value)) return value;
  if (isObject(value) && isObject(value['examplesProportional'])) {
    const ep = value['examplesProportional'];
    for (const key of Object.keys(ep)) {
      if (!['maximum', 'temperature', 'scale'].includes(key))
        throw new ConfigError(`${where}: unknown key examplesProportional.${key}`);
      if (typeof ep[key] !== 'number' || !((ep[key] as number) > 0))
        throw new ConfigError(`${where}: examplesProportional.${key} must be a number > 0`);
    }
    return { examplesProportional: ep as { maximum?: number; temperature?: number; scale?: number } };
  }
  throw new ConfigError(
    `${where}: rate must be a number >= 0 or {"examplesProportional": {maximum?, temperature?, scale?}}`,
  );
}

function parseFormats(value: unknown, where: string): Partial<Record<FormatName, number>> | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw new ConfigError(`${where}: formats must be an object of weights`);
  for (const [name, weight] of Object.entries(value)) {
    if (!FORMAT_NAMES.includes(name as FormatName))
      throw new ConfigError(`${where}: unknown format "${name}" (known: ${FORMAT_NAMES.join(', ')})`);
    if (typeof weight !== 'number' || !(weight >= 0))
      throw new ConfigError(`${where}: weight of format "${name}" must be a number >= 0`);
  }
  return value as Partial<Record<FormatName, number>>;
}

function parseFewShot(value: unknown, where: string): FewShotSettings | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw new ConfigError(`${where}: fewShot must be an object`);
  for (const key of ['shots', 'poolSize', 'maxInputTokens']) {
    if (value[key] !== undefined && !(Number.isInteger(value[key]) && (value[key] as number) >= 0)) {
      throw new ConfigError(`${where}: fewShot.${key} must be an integer >= 0`);
    }
  }
  if (value['pool'] !== undefined && value['pool'] !== 'sample' && value['pool'] !== 'first')
    throw new ConfigError(`${where}: fewShot.pool must be "sample" or "first"`);
  if (value['layout'] !== undefined && !isObject(value['layout']))
    throw new ConfigError(`${where}: fewShot.layout must be an object`);
  return value as FewShotSettings;
}

function parseInversion(value: unknown, where: string): InversionSettings {
  if (typeof value === 'number') value = { rate: value };
  if (!isObject(value) || typeof value['rate'] !== 'number' || !(value['rate'] >= 0 && value['rate'] <= 1))
    throw new ConfigError(`${where}: inversion must be a rate in [0, 1] or {"rate", "template"?}`);
  const template = value['template'];
  if (
    template !== undefined &&
    !(isObject(template) && typeof template['input'] === 'string' && typeof template['target'] === 'string')
  )
    throw new ConfigError(`${where}: inversion.template must be {"input": string, "target": string}`);
  return {
    rate: value['rate'],
    ...(template ? { template: template as unknown as Template } : {}),
  };
}

/** Loads a mixture config file into a registry and mixture definition. */
export function loadMixtureConfig(
  path: string,
  options: { onInvalid?: (error: DataLineError) => void } = {},
): LoadedMixtureConfig {
  const config = readJson(path, 'mixture config');
  if (!isObject(config)) throw new ConfigError(`${path}: expected a JSON object`);
  const base = dirname(resolve(path));
  const at = (p: unknown, where: string): string => {
    if (typeof p !== 'string' || p === '') throw new ConfigError(`${path}: ${where} must be a path string`);
    return isAbsolute(p) ? p : resolve(base, p);
  };
  const templateFiles = new Map<string, TemplateCollection>();
  const collectionAt = (file: string) => {
    let collection = templateFiles.get(file);
    if (!collection)
      templateFiles.set(
        file,
        (collection = TemplateCollection.fromJSON(readJson(file, 'templates file'), file)),
      );
    return collection;
  };
  const templatesOf = (value: unknown, where: string): Template[] | undefined => {
    if (value === undefined) return undefined;
    if (Array.isArray(value)) {
      return value.map((t, i) => {
        if (!isObject(t) || typeof t['input'] !== 'string' || typeof t['target'] !== 'string') {
          throw new ConfigError(`${path}: ${where}[${i}] must be {"input": string, "target": string}`);
        }
        return {
          input: t['input'],
          target: t['target'],
          ...(typeof t['name'] === 'string' ? { name: t['name'] } : {}),
        };
      });
    }
    if (isObject(value)) {
      const file = at(value['file'], `${where}.file`);
      const source = value['source'];
      const task = value['task'];
      if (typeof source !== 'string' || typeof task !== 'string') {
        throw new ConfigError(`${path}: ${where} needs "source" and "task" strings`);
      }
      // Few-shot patterns keep their separators (used by the few-shot formats).
      return [...collectionAt(file).templates(source, task)];
    }
    throw new ConfigError(`${path}: ${where} must be a list of templates or {"file", "source", "task"}`);
  };

  const defaults = {
    formats: parseFormats(config['formats'], `${path}: formats`),
    fewShot: parseFewShot(config['fewShot'], `${path}: fewShot`),
  };
  let formatting: unknown;
  const registry = new Registry();
  const tasksJson = config['tasks'];
  if (!Array.isArray(tasksJson) || tasksJson.length === 0)
    throw new ConfigError(`${path}: "tasks" must be a non-empty list`);
  const entries: Array<{ task: string; rate?: MixingRate }> = [];
  tasksJson.forEach((t, i) => {
    const where = `${path}: tasks[${i}]`;
    if (!isObject(t) || typeof t['name'] !== 'string')
      throw new ConfigError(`${where} must be an object with a "name"`);
    const format = t['format'];
    if (format !== undefined && format !== 'jsonl' && format !== 'csv' && format !== 'tsv') {
      throw new ConfigError(`${where}: format must be jsonl, csv or tsv`);
    }
    const columns = t['columns'];
    if (columns !== undefined && !(Array.isArray(columns) && columns.every((c) => typeof c === 'string'))) {
      throw new ConfigError(`${where}: columns must be a list of strings`);
    }
    const source = fileSource(at(t['data'], `tasks[${i}].data`), {
      ...(format ? { format: format as TextFormat } : {}),
      ...(columns ? { columns: columns as string[] } : {}),
      skipInvalid: t['skipInvalid'] === true,
      ...(options.onInvalid ? { onInvalid: options.onInvalid } : {}),
    });
    const preprocessors: Preprocessor[] = [];
    const rename = t['fields'];
    if (rename !== undefined) {
      if (!isObject(rename) || !Object.values(rename).every((v) => typeof v === 'string')) {
        throw new ConfigError(`${where}: fields must map template field names to record field names`);
      }
      // Template field ← record field, keeping the record's other fields.
      preprocessors.push((record) => {
        const out: Record<string, unknown> = { ...record };
        for (const [to, from] of Object.entries(rename as Record<string, string>)) out[to] = record[from];
        return out;
      });
    }
    let options_: TaskDefinition['options'];
    const optionsJson = t['options'];
    if (optionsJson !== undefined) {
      if (!isObject(optionsJson) || typeof optionsJson['field'] !== 'string')
        throw new ConfigError(`${where}: options needs a "field"`);
      const style = optionsJson['style'] ?? 'plain';
      if (style === 'random') {
        formatting ??= readJson(
          at(config['formatting'], 'formatting (needed by options.style "random")'),
          'formatting file',
        );
      } else if (style !== 'plain' && style !== 'lettered') {
        throw new ConfigError(`${where}: options.style must be plain, lettered or random`);
      }
      options_ = {
        field: optionsJson['field'],
        style: style === 'random' ? randomOptionsStyleFromFormatting(formatting) : style,
        ...(typeof optionsJson['answerField'] === 'string'
          ? { answerField: optionsJson['answerField'] }
          : {}),
      };
    }
    const common: Partial<TaskDefinition> = {
      name: t['name'],
      ...(defaults.formats ? { formats: defaults.formats } : {}),
      ...(defaults.fewShot ? { fewShot: defaults.fewShot } : {}),
    };
    const formats = parseFormats(t['formats'], where);
    const fewShot = parseFewShot(t['fewShot'], where);
    const templates = templatesOf(t['templates'], `tasks[${i}].templates`);
    const cotTemplates = templatesOf(t['cotTemplates'], `tasks[${i}].cotTemplates`);
    const overrides: Partial<TaskDefinition> = {
      ...common,
      ...(formats ? { formats } : {}),
      ...(fewShot ? { fewShot } : {}),
      ...(templates ? { templates } : {}),
      ...(cotTemplates ? { cotTemplates } : {}),
      ...(options_ ? { options: options_ } : {}),
      ...(typeof t['collection'] === 'string' ? { collection: t['collection'] } : {}),
      ...(typeof t['numExamples'] === 'number' ? { numExamples: t['numExamples'] } : {}),
      ...(typeof t['cotTrigger'] === 'string' ? { cotTrigger: t['cotTrigger'] } : {}),
      ...(t['inversion'] !== undefined ? { inversion: parseInversion(t['inversion'], where) } : {}),
    };
    let task: TaskDefinition;
    if (t['preset'] === 'flan-cot') {
      const set =
        (typeof t['set'] === 'string' ? t['set'] : undefined) ??
        (Object.keys(FLAN_COT_SETS).find((k) => String(t['data']).endsWith(`${k}.jsonl`)) as
          string | undefined);
      if (!set || !(set in FLAN_COT_SETS))
        throw new ConfigError(
          `${where}: preset flan-cot needs "set" (one of ${Object.keys(FLAN_COT_SETS).join(', ')})`,
        );
      const preset = flanCotTask(set as FlanCotSet, source);
      // A fresh file may not have the declared size: count it unless the config says otherwise.
      const { numExamples: _declared, ...rest } = preset;
      task = {
        ...rest,
        ...overrides,
        preprocessors: [...preprocessors, ...(preset.preprocessors ?? [])],
      } as TaskDefinition;
    } else if (t['preset'] !== undefined) {
      throw new ConfigError(`${where}: unknown preset ${JSON.stringify(t['preset'])} (known: flan-cot)`);
    } else {
      if (!templates && !cotTemplates)
        throw new ConfigError(`${where}: needs "templates" or "cotTemplates" (or a preset)`);
      task = { source, preprocessors, templates: templates ?? [], ...overrides } as TaskDefinition;
    }
    registry.addTask(task);
    const rate = parseRate(t['rate'], where);
    entries.push({ task: task.name, ...(rate !== undefined ? { rate } : {}) });
  });

  const collections = config['collections'];
  if (
    collections !== undefined &&
    !(isObject(collections) && Object.values(collections).every((w) => typeof w === 'number' && w >= 0))
  ) {
    throw new ConfigError(`${path}: collections must map names to weights >= 0`);
  }
  const defaultRate = parseRate(config['rate'], `${path}: rate`);
  const templateMix = parseFormats(config['templateMix'], `${path}: templateMix`);
  const mixture: MixtureDefinition = {
    name: typeof config['name'] === 'string' ? config['name'] : 'mixture',
    tasks: entries,
    ...(defaultRate !== undefined ? { defaultRate } : {}),
    ...(collections ? { collectionWeights: collections as Record<string, number> } : {}),
    ...(templateMix ? { templateMix } : {}),
  };
  registry.addMixture(mixture);
  const seed = config['seed'];
  const shuffleBuffer = config['shuffleBuffer'];
  if (seed !== undefined && !Number.isInteger(seed))
    throw new ConfigError(`${path}: seed must be an integer`);
  if (shuffleBuffer !== undefined && !(Number.isInteger(shuffleBuffer) && (shuffleBuffer as number) >= 0)) {
    throw new ConfigError(`${path}: shuffleBuffer must be an integer >= 0`);
  }
  return {
    registry,
    mixture,
    seed: seed as number | undefined,
    shuffleBuffer: shuffleBuffer as number | undefined,
  };
}
