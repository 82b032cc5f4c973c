/** flan eval run's progress: a bar per unit with ETA on a terminal, one plain line per unit otherwise. */
import { describe, expect, it } from 'vitest';
import type { EvalProgress } from '@flan-ts/eval';
import { evalProgressDisplay } from '../src/commands/eval-progress';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  const stream = {
    isTTY,
    columns: 120,
    write: (chunk: string) => (writes.push(String(chunk)), true),
    cursorTo: () => true,
    moveCursor: () => true,
    clearLine: () => true,
    clearScreenDown: () => true,
    on: () => stream,
    removeListener: () => stream,
  };
  return { stream: stream as unknown as NodeJS.WriteStream, writes };
}

const unit = (u: number, done: number, total: number, cached = 0): EvalProgress => ({
  unit: u,
  benchmark: u === 0 ? 'bbh' : 'mmlu',
  format: u === 0 ? 'cot' : 'direct',
  mode: u === 2 ? 'rank' : 'generate',
  done,
  total,
  cached,
});

describe('eval progress display', () => {
  it('without a terminal: one line per unit when it finishes, cached counts included', () => {
    const { stream, writes } = fakeStream(false);
    const display = evalProgressDisplay(stream);
    for (const p of [unit(0, 0, 4), unit(1, 3, 3, 3), unit(0, 2, 4), unit(0, 4, 4), unit(0, 4, 4)])
      display.update(p);
    display.stop();
    expect(writes.map((w) => w.replace(/ at [\d.]+ s\n$/, ''))).toEqual([
      'mmlu direct (generate): 3/3 examples (3 cached)',
      'bbh cot (generate): 4/4 examples (0 cached)',
    ]);
  });

  it('on a terminal: a bar per unit with its count, cached results and ETA', () => {
    const { stream, writes } = fakeStream(true);
    const display = evalProgressDisplay(stream);
    display.update(unit(0, 0, 4));
    display.update(unit(2, 1, 2, 1));
    display.update(unit(0, 2, 4));
    display.stop();
    const text = writes.join('');
    expect(text).toMatch(/bbh cot \(generate\) +\[[^\]]*\] 2\/4 \| 0 cached \| ETA /);
    expect(text).toMatch(/mmlu direct \(rank\) +\[[^\]]*\] 1\/2 \| 1 cached \| ETA /);
  });
});
