import type { Command } from 'commander';

export function registerScore(program: Command): void {
  program
    .command('score')
    .description('(not implemented yet)')
    .action(() => {
      throw new Error('flan score is not implemented yet');
    });
}
