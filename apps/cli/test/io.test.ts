import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError, jsonLine, readInputLines, runBatch } from '../src/io';

describe('jsonLine', () => {
  it('escapes characters that other readers take as line breaks, and round-trips', () => {
    const value = { text: 'a\u2028b\u2029c\u0085d\ufeffe\nf' };
    const line = jsonLine(value);
    expect(line).toBe('{"text":"a\\u2028b\\u2029c\\u0085d\\ufeffe\\nf"}');
    expect(JSON.parse(line)).toEqual(value);
  });
});

describe('runBatch', () => {
  it('passes results through', async () => {
    await expect(runBatch('in.jsonl', [3, 4], async () => 42)).resolves.toBe(42);
  });

  it("turns a batch's failure into a run-ending CliError naming the lines", async () => {
    const failing = runBatch('in.jsonl', [3, 4, 7], async () => {
      throw new Error('out of memory');
    });
    await expect(failing).rejects.toBeInstanceOf(CliError);
    await expect(runBatch(undefined, [5], () => Promise.reject(new Error('boom')))).rejects.toThrow(
      '<stdin>:5: boom',
    );
    await expect(failing).rejects.toThrow('in.jsonl:3-7: out of memory');
  });
});

describe('readInputLines', () => {
  it('decodes strictly: an invalid UTF-8 line is flagged with its byte, others read as text', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'flan-io-')), 'in.txt');
    writeFileSync(
      path,
      Buffer.concat([
        Buffer.from('h\u00e9\r\n\ufeffx\rlone'),
        Buffer.from([0x0a, 0x61, 0xe2, 0x82, 0x0a]),
        Buffer.from('end'),
      ]),
    );
    const lines = [];
    for await (const line of readInputLines(path)) lines.push(line);
    expect(lines).toEqual([
      { lineNumber: 1, text: 'h\u00e9' },
      { lineNumber: 2, text: '\ufeffx' },
      { lineNumber: 3, text: 'lone' },
      { lineNumber: 4, text: '', invalid: 'invalid UTF-8 at byte 2 of the line' },
      { lineNumber: 5, text: 'end' },
    ]);
  });
});
