import type { Command } from 'commander';

export function registerMix(program: Command): void {
  program
    .command('mix')
    .description('(not implemented yet)')
    .action(() => {
      throw new Error('flan mix is not implemented yet');
    });
}
