import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedFile } from '@flan-ts/test-support';
import { describe, expect, it } from 'vitest';
import type { DataLineError } from '../src/node';
import {
  bbhCotPrompt,
  bbhRecords,
  countRecords,
  fileSource,
  flanCotTasks,
  iterableSource,
  mgsmExemplars,
  mgsmRecords,
  mmluRecords,
  textSource,
  tydiqaRecords,
  urlSource,
  type RecordSource,
} from '../src/node';

async function all(source: RecordSource): Promise<Array<Record<string, unknown>>> {
  const out = [];
  for await (const r of source.open()) out.push({ ...r.value, _line: r.line });
  return out;
}

describe('text formats', () => {
  it('JSONL: records with line numbers; a bad line names source and line', async () => {
    expect(await all(textSource('{"a":1}\n{"a":2}\n', { name: 'x.jsonl' }))).toEqual([
      { a: 1, _line: 1 },
      { a: 2, _line: 2 },
    ]);
    await expect(all(textSource('{"a":1}\n{"a":\n', { name: 'bad.jsonl' }))).rejects.toThrow(
      /^bad\.jsonl:2: invalid JSON/,
    );
    await expect(all(textSource('{"a":1}\n\n{"a":2}', { name: 'gap.jsonl' }))).rejects.toThrow(
      'gap.jsonl:2: empty line',
    );
    await expect(all(textSource('[1]', { name: 'arr.jsonl' }))).rejects.toThrow(
      'arr.jsonl:1: expected a JSON object',
    );
  });

  it('skipInvalid counts and reports bad lines instead of dropping them silently', async () => {
    const skipped: DataLineError[] = [];
    const source = textSource('{"a":1}\nnot json\n{"a":3}\n[2]\n', {
      name: 's.jsonl',
      skipInvalid: true,
      onInvalid: (e) => skipped.push(e),
    });
    expect((await all(source)).map((r) => r.a)).toEqual([1, 3]);
    expect(skipped.map((e) => [e.source, e.line])).toEqual([
      ['s.jsonl', 2],
      ['s.jsonl', 4],
    ]);
  });

  it('CSV: header, quotes, escaped quotes, multi-line fields, CRLF', async () => {
    const csv = 'q,a\r\n"hello, world","say ""hi"""\r\n"two\nlines",x\r\nplain,\r\n';
    expect(await all(textSource(csv, { name: 'd.csv' }))).toEqual([
      { q: 'hello, world', a: 'say "hi"', _line: 2 },
      { q: 'two\nlines', a: 'x', _line: 3 },
      { q: 'plain', a: '', _line: 5 },
    ]);
    await expect(all(textSource('q,a\n1,2,3\n', { name: 'w.csv' }))).rejects.toThrow(
      'w.csv:2: expected 2 fields (q, a), got 3',
    );
    await expect(all(textSource('q,a\n"open,1\n', { name: 'u.csv' }))).rejects.toThrow(
      'u.csv:2: malformed CSV: unterminated',
    );
    await expect(all(textSource('q\nab"c\n', { name: 'm.csv' }))).rejects.toThrow('m.csv:2: malformed CSV');
  });

  it('TSV without header uses given columns', async () => {
    const tsv = 'q1\ta1\tc1\nq2\ta2\tc2\n';
    const source = textSource(tsv, { name: 'x.tsv', columns: ['question', 'answer', 'chain_of_thought'] });
    expect(await all(source)).toEqual([
      { question: 'q1', answer: 'a1', chain_of_thought: 'c1', _line: 1 },
      { question: 'q2', answer: 'a2', chain_of_thought: 'c2', _line: 2 },
    ]);
    await expect(all(textSource('a\tb\n1\n', { name: 'h.tsv' }))).rejects.toThrow(
      'h.tsv:2: expected 2 fields',
    );
  });

  it('files stream line by line and missing files are clear errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flan-templates-'));
    const path = join(dir, 'd.jsonl');
    writeFileSync(path, '{"q":"é"}\n{"q":"\\u2028"}\n');
    expect(await all(fileSource(path))).toEqual([
      { q: 'é', _line: 1 },
      { q: '\u2028', _line: 2 },
    ]);
    await expect(all(fileSource(join(dir, 'missing.jsonl')))).rejects.toThrow(
      /missing\.jsonl:0: cannot read/,
    );
    expect(() => fileSource(join(dir, 'data.txt'))).toThrow(/format/);
  });

  it('iterable sources: functions re-open, one-shot async iterables refuse a second open', async () => {
    const reopenable = iterableSource(() => [{ a: 1 }, { a: 2 }], 'gen');
    expect(await countRecords(reopenable)).toBe(2);
    expect(await countRecords(reopenable)).toBe(2);
    async function* once() {
      yield { a: 1 };
    }
    const oneShot = iterableSource(once(), 'once');
    expect(await countRecords(oneShot)).toBe(1);
    await expect(countRecords(oneShot)).rejects.toThrow(/cannot be re-opened/);
    function* syncOnce() {
      yield { a: 1 };
    }
    const syncOneShot = iterableSource(syncOnce(), 'sync-once');
    expect(await countRecords(syncOneShot)).toBe(1);
    await expect(countRecords(syncOneShot)).rejects.toThrow(/cannot be re-opened/);
    const array = iterableSource([{ a: 1 }], 'array');
    expect(await countRecords(array)).toBe(1);
    expect(await countRecords(array)).toBe(1);
  });
});

const cotDir = sharedFile('data/flan/cot');
describe.skipIf(!cotDir)('Flan CoT tasks over shared/data/flan/cot', () => {
  it('every set has the documented number of records and the expected fields', async () => {
    const tasks = flanCotTasks(cotDir!);
    expect(tasks.map((t) => t.name)).toEqual([
      'cot_gsm8k',
      'cot_strategyqa',
      'cot_creak',
      'cot_qasc',
      'cot_ecqa',
      'cot_sensemaking',
      'stream_aqua',
    ]);
    for (const task of tasks) expect(await countRecords(task.source)).toBe(task.numExamples);
    const first = (await task0(tasks[0]!.source))!;
    expect(first).toMatchObject({ answer: '72' });
  });
});

async function task0(source: RecordSource) {
  for await (const r of source.open()) return r.value;
  return undefined;
}

const dataRoot = sharedFile('data');
describe.skipIf(!dataRoot || !sharedFile('data/mmlu'))('benchmark loaders', () => {
  it('read and check MMLU, BBH, MGSM and TyDiQA records', async () => {
    let n = 0;
    for await (const r of mmluRecords(dataRoot!, 'abstract_algebra', 'test')) {
      expect(r.choices).toHaveLength(4);
      n++;
    }
    expect(n).toBe(100);
    n = 0;
    for await (const _ of bbhRecords(dataRoot!, 'penguins_in_a_table')) n++;
    expect(n).toBe(146);
    const prompt = await bbhCotPrompt(dataRoot!, 'boolean_expressions');
    expect(prompt).not.toContain('canary');
    expect(prompt.startsWith('Evaluate')).toBe(true);
    for await (const r of mgsmRecords(dataRoot!, 'en')) {
      expect(Number.isInteger(r.answer_number)).toBe(true);
      break;
    }
    expect(await mgsmExemplars(dataRoot!, 'zh')).toHaveLength(8);
    n = 0;
    for await (const r of tydiqaRecords(dataRoot!, 'bn')) {
      expect(r.answers.length).toBe(r.answer_starts.length);
      n++;
    }
    expect(n).toBe(113);
  });
});

describe('urlSource', () => {
  it('streams a fetched body in chunks (a character split across chunks included) and re-fetches per open', async () => {
    const bytes = new TextEncoder().encode('{"q":"naïve"}\n{"q":"two"}\n');
    let fetches = 0;
    const fakeFetch = (async () => {
      fetches++;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes.slice(0, 9)); // ends inside "ï"
          controller.enqueue(bytes.slice(9));
          controller.close();
        },
      });
      return new Response(body, { status: 200 });
    }) as typeof fetch;
    const source = urlSource('https://example.test/data.jsonl', { fetch: fakeFetch });
    expect(await all(source)).toEqual([
      { q: 'naïve', _line: 1 },
      { q: 'two', _line: 2 },
    ]);
    expect(await countRecords(source)).toBe(2);
    expect(fetches).toBe(2);
    const failing = urlSource('https://example.test/x.jsonl', {
      fetch: (async () => new Response('no', { status: 404 })) as typeof fetch,
    });
    await expect(all(failing)).rejects.toThrow(/x\.jsonl:0: HTTP 404/);
  });
});

describe('strict UTF-8 in file sources', () => {
  it('invalid bytes are a bad line naming file and line, or skipped and reported with skipInvalid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flan-utf8-'));
    try {
      const path = join(dir, 'bad.jsonl');
      const good = (s: string) => Buffer.from(s, 'utf8');
      writeFileSync(
        path,
        Buffer.concat([good('{"a": "é"}\n{"a": "caf'), Buffer.from([0xe9]), good('"}\n{"a": "ok"}\n')]),
      );
      const read = async (options: Parameters<typeof fileSource>[1] = {}) => {
        const out: unknown[] = [];
        for await (const r of fileSource(path, options).open()) out.push(r.value);
        return out;
      };
      await expect(read()).rejects.toThrow(`${path}:2: invalid UTF-8`);
      const skipped: string[] = [];
      expect(await read({ skipInvalid: true, onInvalid: (e) => skipped.push(e.message) })).toEqual([
        { a: 'é' },
        { a: 'ok' },
      ]);
      expect(skipped).toEqual([`${path}:2: invalid UTF-8`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
