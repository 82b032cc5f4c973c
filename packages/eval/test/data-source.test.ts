/**
 * The data-directory loaders over a fetch source (the shared data served by a loopback HTTP server)
 * and a files source give the same prompt records as the Node loader reading the folder.
 */
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BBH_TASKS,
  fetchSource,
  filesSource,
  listTasksIn,
  loadEvaluationData,
  loadPromptsFrom,
  MGSM_LANGUAGES,
  MMLU_SUBJECTS,
  mmluEvalSplitOf,
  TYDIQA_LANGUAGES,
} from '../src/index';
import { listTasks, loadPrompts } from '../src/node/data-dir';
import { dataDir } from './fixtures';

/** A few tasks of each benchmark in each format (small files, first and last of the lists). */
const CASES: [benchmark: string, format: string, tasks: string[]][] = [
  ['mmlu', 'direct', ['abstract_algebra', 'world_religions']],
  ['mmlu', 'cot', ['anatomy']],
  ['mmlu', 'direct_hendrycks', ['astronomy']],
  ['bbh', 'direct', ['navigate', 'penguins_in_a_table']],
  ['bbh', 'cot', ['boolean_expressions', 'word_sorting']],
  ['mgsm', 'native_cot', ['bn', 'zh']],
  ['tydiqa', 'direct_1shot', ['en', 'ar']],
];

describe.skipIf(!dataDir)('data sources over the shared data', () => {
  let server: Server;
  let base: string;
  const requests: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      requests.push(`${req.method} ${path}`);
      const file = normalize(join(dataDir!, path.replace(/^\/data\//, '/')));
      if (
        !path.startsWith('/data/') ||
        !file.startsWith(dataDir!) ||
        !existsSync(file) ||
        statSync(file).isDirectory()
      ) {
        res.statusCode = 404;
        return void res.end('not found');
      }
      res.setHeader('Content-Length', statSync(file).size);
      if (req.method === 'HEAD') return void res.end();
      createReadStream(file).pipe(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/data`;
  });
  afterAll(() => server?.close());

  it.each(CASES)('%s %s over HTTP gives the Node loader records', async (benchmark, format, tasks) => {
    const source = fetchSource(base);
    for (const task of tasks) {
      const expected = await loadPrompts(dataDir!, benchmark, format, { task, limit: 4 });
      expect(expected).toHaveLength(4);
      expect(await loadPromptsFrom(source, benchmark, format, { task, limit: 4 })).toEqual(expected);
    }
  });

  it('knows the task lists of the data layout, which match the folder listing', async () => {
    const source = fetchSource(`${base}/`);
    expect(await mmluEvalSplitOf(source)).toBe('test');
    // Without listing, the MMLU split is probed by one HEAD request.
    expect(requests).toContain('HEAD /data/mmlu/val/abstract_algebra.jsonl');
    for (const [benchmark, known] of [
      ['mmlu', MMLU_SUBJECTS],
      ['bbh', BBH_TASKS],
      ['mgsm', MGSM_LANGUAGES],
      ['tydiqa', TYDIQA_LANGUAGES],
    ] as const) {
      expect(await listTasks(dataDir!, benchmark)).toEqual([...known]);
      expect(await listTasksIn(source, benchmark)).toEqual([...known]);
    }
    expect(MMLU_SUBJECTS).toHaveLength(57);
    expect(BBH_TASKS).toHaveLength(27);
  });

  it('reads several benchmarks with their data sizes for a page', async () => {
    const { prompts, sizes } = await loadEvaluationData(fetchSource(base), [
      { benchmark: 'bbh', format: 'direct', tasks: ['navigate', 'web_of_lies'], limit: 3 },
      { benchmark: 'mmlu', format: 'direct', tasks: ['astronomy'], limit: 2 },
      { benchmark: 'mgsm', format: 'native_cot', tasks: ['de'], limit: 2 },
    ]);
    expect(sizes).toEqual({
      bbh: { navigate: 250, web_of_lies: 250 },
      mmlu: { astronomy: 152 },
      mgsm: { de: 250 },
    });
    expect(prompts.map((p) => `${p.benchmark}/${p.example_id}`)).toEqual([
      'bbh/navigate/0',
      'bbh/navigate/1',
      'bbh/navigate/2',
      'bbh/web_of_lies/0',
      'bbh/web_of_lies/1',
      'bbh/web_of_lies/2',
      'mmlu/astronomy/test/0',
      'mmlu/astronomy/test/1',
      'mgsm/de/0',
      'mgsm/de/1',
    ]);
    const all = await loadEvaluationData(fetchSource(base), [
      { benchmark: 'mgsm', format: 'native_cot', limit: 1 },
    ]);
    expect(Object.keys(all.sizes.mgsm!)).toEqual([...MGSM_LANGUAGES]);
    expect(all.prompts).toHaveLength(11);
  });

  it('names the URL of a missing file and the source of an unknown task', async () => {
    const source = fetchSource(`${base}/nowhere/`);
    await expect(loadPromptsFrom(source, 'bbh', 'direct', { task: 'navigate' })).rejects.toThrow(
      `cannot read ${base}/nowhere/bbh/navigate.jsonl: no such file`,
    );
    await expect(loadPromptsFrom(source, 'bbh', 'direct', { task: 'navigat' })).rejects.toThrow(
      `unknown bbh task "navigat" in ${base}/nowhere/`,
    );
    await expect(loadPromptsFrom(source, 'bbh', 'fancy')).rejects.toThrow('unknown format "fancy" for bbh');
  });

  it('a files source (picked files, read lazily) lists its folders and gives the same records', async () => {
    const files: Record<string, { text(): Promise<string> }> = {};
    let reads = 0;
    const add = (relative: string) =>
      (files[relative] = {
        text: async () => {
          reads++;
          return readFileSync(join(dataDir!, relative), 'utf8');
        },
      });
    for (const name of readdirSync(join(dataDir!, 'bbh'))) if (name.endsWith('.jsonl')) add(`bbh/${name}`);
    add('bbh/cot-prompts/snarks.txt');
    for (const split of ['dev', 'test']) add(`mmlu/${split}/virology.jsonl`);
    const source = filesSource(files);
    expect(reads).toBe(0);
    expect(await listTasksIn(source, 'bbh')).toEqual([...BBH_TASKS]);
    expect(await listTasksIn(source, 'mmlu')).toEqual(['virology']);
    expect(await loadPromptsFrom(source, 'bbh', 'cot', { task: 'snarks', limit: 3 })).toEqual(
      await loadPrompts(dataDir!, 'bbh', 'cot', { task: 'snarks', limit: 3 }),
    );
    expect(await loadPromptsFrom(source, 'mmlu', 'direct', { limit: 2 })).toEqual(
      await loadPrompts(dataDir!, 'mmlu', 'direct', { task: 'virology', limit: 2 }),
    );
    expect(reads).toBe(4);
    await expect(loadPromptsFrom(source, 'bbh', 'cot', { task: 'navigate' })).rejects.toThrow(
      'cannot read bbh/cot-prompts/navigate.txt: not among the picked files',
    );
    await expect(listTasksIn(source, 'tydiqa')).rejects.toThrow(
      'cannot read the folder tydiqa: not among the picked files',
    );
  });
});
