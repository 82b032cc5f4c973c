import type { Command } from 'commander';

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('(not implemented yet)')
    .action(() => {
      throw new Error('flan generate is not implemented yet');
    });
}
