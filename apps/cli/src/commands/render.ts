import type { Command } from 'commander';

export function registerRender(program: Command): void {
  program
    .command('render')
    .description('(not implemented yet)')
    .action(() => {
      throw new Error('flan render is not implemented yet');
    });
}
