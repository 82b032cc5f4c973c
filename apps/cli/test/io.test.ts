import { describe, expect, it } from 'vitest';
import { CliError, jsonLine, runBatch } from '../src/io';

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
