/** `flan eval run --workers N`: what each worker process is started with. */
import { describe, expect, it } from 'vitest';
import { workerArguments } from '../src/commands/eval-run';

describe('eval run worker arguments', () => {
  const argv = ['eval', 'run', '--model', 'm', '--workers', '4', '--threads=8', '--limit', '3'];

  it('drops --workers and --threads (either spelling) and gives each worker its share of the threads', () => {
    expect(workerArguments(argv, { index: 1, count: 4 }, 8)).toEqual([
      'eval',
      'run',
      '--model',
      'm',
      '--limit',
      '3',
      '--threads',
      '2',
      '--resume',
      '--shard',
      '1/4',
    ]);
    expect(workerArguments(['--workers=2', '--threads', '5', '--x'], { index: 0, count: 2 }, 5)).toEqual([
      '--x',
      '--threads',
      '2',
      '--resume',
      '--shard',
      '0/2',
    ]);
  });

  it('never gives a worker fewer than one thread', () => {
    expect(workerArguments([], { index: 2, count: 3 }, 2)).toEqual([
      '--threads',
      '1',
      '--resume',
      '--shard',
      '2/3',
    ]);
  });
});
