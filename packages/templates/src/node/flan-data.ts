/** Node helpers for the shared FLAN files: the CoT tasks over a folder, and templates.json / formatting.json. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../errors';
import { FLAN_COT_SETS, flanCotTask, type FlanCotSet } from '../tasks/flan-cot';
import type { TaskDefinition } from '../tasks/task';
import { TemplateCollection } from '../templates/collection';
import { randomOptionsStyleFromFormatting, type RandomOptionsStyle } from '../templates/options';
import { fileSource } from './file-source';

/** Tasks over every Flan CoT set in `dir` (`<dir>/<set>.jsonl`), e.g. `shared/data/flan/cot`. */
export function flanCotTasks(
  dir: string,
  sets: readonly FlanCotSet[] = Object.keys(FLAN_COT_SETS) as FlanCotSet[],
): TaskDefinition[] {
  return sets.map((set) => flanCotTask(set, fileSource(join(dir, `${set}.jsonl`))));
}

async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path}: invalid JSON: ${(error as Error).message}`);
  }
}

/** Loads a templates.json-shaped file (FLAN's or the user's). */
export async function loadTemplateFile(path: string): Promise<TemplateCollection> {
  return TemplateCollection.fromJSON(await readJsonFile(path), path);
}

/** Loads the random-options candidates from FLAN's formatting.json. */
export async function loadRandomOptionsStyle(path: string): Promise<RandomOptionsStyle> {
  return randomOptionsStyleFromFormatting(await readJsonFile(path));
}

/**
 * The Flan 2022 sub-mixture weights from FLAN's mixtures.json (`flan2022_submix`: flan2021 0.4, t0
 * 0.32, niv2 0.2, cot 0.05, dialog 0.03), for `collectionWeights`.
 */
export async function loadFlan2022CollectionWeights(path: string): Promise<Record<string, number>> {
  const json = (await readJsonFile(path)) as { flan2022_submix?: { value?: unknown } };
  const value = json?.flan2022_submix?.value;
  if (
    value === null ||
    typeof value !== 'object' ||
    !Object.values(value).every((w) => typeof w === 'number' && w >= 0)
  ) {
    throw new ConfigError(`${path}: flan2022_submix.value must map collection names to weights`);
  }
  return value as Record<string, number>;
}
