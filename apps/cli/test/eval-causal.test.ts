/** `flan eval run` on a decoder-only checkpoint (llama-tiny with a byte-level BPE tokenizer), plain and through its chat template. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedFile, writeLlamaTinyWithBpe } from '@flan-ts/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { runFlan } from './run-flan';

const llama = sharedFile('fixtures/models/llama-tiny');
const cot = sharedFile('data/flan/cot');
const data = sharedFile('data');
const work = mkdtempSync(join(tmpdir(), 'flan-eval-causal-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Results {
  benchmarks: { benchmark: string; format: string; mode: string; n: number }[];
  settings: { chat_template: boolean };
}

describe.skipIf(!llama || !cot || !data)('flan eval run (decoder-only)', () => {
  it('evaluates BBH (generate) and MMLU (rank) on llama-tiny; --chat-template is its own run', async () => {
    const model = join(work, 'llama-tiny-bpe');
    writeLlamaTinyWithBpe(model, llama!, cot!);
    const run = (out: string, extra: string[] = []) =>
      runFlan([
        'eval',
        'run',
        '--model',
        model,
        '--data',
        data!,
        '--benchmarks',
        'bbh,mmlu',
        '--tasks',
        'boolean_expressions,abstract_algebra',
        '--formats',
        'direct',
        '--mode',
        'generate,rank',
        '--limit',
        '3',
        '--max-new-tokens',
        '4',
        '--workers',
        '1',
        '--out',
        out,
        ...extra,
      ]);
    const plain = await run(join(work, 'plain'));
    expect(plain.code, plain.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(work, 'plain', 'results.json'), 'utf8')) as Results;
    const units = results.benchmarks.map((u) => `${u.benchmark}/${u.format}/${u.mode}:${u.n}`);
    expect(units).toEqual(expect.arrayContaining(['bbh/direct/generate:3', 'mmlu/direct/rank:3']));
    expect(results.settings.chat_template).toBe(false);
    const chat = await run(join(work, 'chat'), ['--chat-template']);
    expect(chat.code, chat.stderr).toBe(0);
    const chatResults = JSON.parse(readFileSync(join(work, 'chat', 'results.json'), 'utf8')) as Results;
    expect(chatResults.settings.chat_template).toBe(true);
    const cache = (dir: string) => readFileSync(join(work, dir, 'cache.jsonl'), 'utf8');
    // Different prompts, so different cached results (and keys).
    expect(cache('chat')).not.toBe(cache('plain'));
  }, 300_000);
});
