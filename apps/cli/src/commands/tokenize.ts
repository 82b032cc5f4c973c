import type { Command } from 'commander';

export function registerTokenize(program: Command): void {
  program
    .command('tokenize')
    .description('(not implemented yet)')
    .action(() => {
      throw new Error('flan tokenize is not implemented yet');
    });
}
